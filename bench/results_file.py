"""Sections of bench/RESULTS_budget.md, each owned by one script and replaced whole when it runs again."""

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS_budget.md"


def write_section(name: str, text: str, results: Path = RESULTS) -> None:
    """Replace the section between ``<!-- name -->`` and ``<!-- /name -->``, or append it."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    current = results.read_text() if results.exists() else "# Budget service benchmarks\n"
    block = f"{start}\n{text.strip()}\n{end}"
    if start in current and end in current:
        before, rest = current.split(start, 1)
        current = before + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    results.write_text(current)
