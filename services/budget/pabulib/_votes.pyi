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
def copy_ballots(
    election_id: int, voter_hashes: list[bytes], groups: str | list[str], votes: list[Sequence[str]], /
) -> bytes: ...
def order_of(keys: list[bytes], /) -> list[int]: ...
