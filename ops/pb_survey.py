"""Survey Pabulib files: which the import would take as they are, repair (with the lines), or refuse.

.venv/bin/python -m ops.pb_survey ../shared/data/pabulib
"""

import sys
from pathlib import Path

from services.budget.pabulib.parser import PbFormatError, PbReader


def survey(path: Path) -> str:
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = PbReader(stream, repair=True)
            n_votes = sum(1 for _ in reader.iter_votes())
    except PbFormatError as exc:
        return f"REFUSED   {path.name}: {exc}"
    except UnicodeDecodeError:
        return f"REFUSED   {path.name}: not UTF-8"
    if not reader.repair_count:
        return f"CLEAN     {path.name}: {n_votes} votes"
    lines = ", ".join(str(r.line_no) for r in reader.repairs[:10])
    return f"REPAIRED  {path.name}: {n_votes} votes, {reader.repair_count} repairs (lines {lines}…)"


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path("../shared/data/pabulib")
    for path in sorted(folder.glob("*.pb")):
        print(survey(path))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
