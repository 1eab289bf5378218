from collections.abc import Sequence

def split_clean(
    lines: list[str],
    width: int,
    voter_at: int,
    vote_at: int,
    extra: tuple[int, ...],
    projects: tuple[str, ...],
    seen: set[str],
    ordered: bool,
    /,
) -> tuple[list[str], list[Sequence[str]], tuple[list[str | None], ...]] | None: ...
