"""The VOTES section in bulk: runs of rows held column by column, with no Python object per ballot.

A city-wide vote has a million rows. Reading them one ``PbVote`` at a time made the parser the slowest
step of an import; here a run of clean lines (no quoting, every row as wide as the header, known projects
each named once, fresh voter ids) is split and checked with C-level passes over whole columns. Any run that
is not clean is handed back to the reader's row-by-row path, which repairs it or raises the same error, with
the same line, as it always did.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import eq, itemgetter
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    from services.budget.pabulib.parser import Amount

try:
    from services.budget.pabulib._votes import split_clean
except ImportError:  # built by setup.py when a C compiler is present; the Python path gives the same batches
    split_clean = None  # type: ignore[assignment]

NULL_VALUES = frozenset({"", "None"})


@dataclass(frozen=True, slots=True)
class PbVote:
    voter_id: str
    vote: tuple[str, ...]
    points: tuple[Amount, ...] | None = None
    fields: dict[str, str | None] = field(default_factory=dict)


@dataclass(slots=True)
class VoteBatch:
    """Consecutive ballots of the VOTES section, column by column; index ``i`` is one ballot."""

    line_nos: Sequence[int]
    """The 1-based line of each ballot."""
    voter_ids: list[str]
    votes: list[Sequence[str]]
    """The projects of each ballot, in the file's order, each once."""
    points: list[tuple[Amount, ...] | None] | None = None
    """Each ballot's points (one per project of ``votes``), or None when the file has no points column."""
    fields: dict[str, list[str | None]] = field(default_factory=dict)
    """The other VOTES columns, stripped, with empty and ``None`` cells as None."""
    in_project_order: bool = False
    """Each ballot's projects are in the PROJECTS section's order, not the file's (asked for, C path only)."""

    def __len__(self) -> int:
        return len(self.voter_ids)


class PbVotes(Sequence[PbVote]):
    """The ballots of whole batches, column by column: a ``PbVote`` (and its ``fields`` dict) is made only
    when it is read, so parsing a file makes no object per ballot beyond its columns' cells."""

    __slots__ = ("fields", "points", "voter_ids", "votes")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, batches: Iterable[VoteBatch]) -> None:
        self.voter_ids: list[str] = []
        self.votes: list[Sequence[str]] = []
        self.points: list[tuple[Amount, ...] | None] | None = None
        self.fields: dict[str, list[str | None]] = {}
        for n, batch in enumerate(batches):
            if n == 0:
                self.points = None if batch.points is None else []
                self.fields = {name: [] for name in batch.fields}
            self.voter_ids.extend(batch.voter_ids)
            self.votes.extend(batch.votes)
            if self.points is not None and batch.points is not None:
                self.points.extend(batch.points)
            for name, column in batch.fields.items():
                self.fields[name].extend(column)

    def __len__(self) -> int:
        return len(self.voter_ids)

    @overload
    def __getitem__(self, index: int) -> PbVote: ...
    @overload
    def __getitem__(self, index: slice) -> list[PbVote]: ...
    def __getitem__(self, index: int | slice) -> PbVote | list[PbVote]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        fields = {name: column[index] for name, column in self.fields.items()}
        points = None if self.points is None else self.points[index]
        return PbVote(self.voter_ids[index], tuple(self.votes[index]), points, fields)

    def __iter__(self) -> Iterator[PbVote]:
        names = tuple(self.fields)
        columns = zip(*self.fields.values(), strict=True) if names else repeat(())
        return map(
            PbVote,
            self.voter_ids,
            map(tuple, self.votes),
            repeat(None) if self.points is None else self.points,
            map(dict, map(zip, repeat(names), columns)),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(map(eq, self, other))

    def __repr__(self) -> str:
        return f"<PbVotes: {len(self):,} ballots>"


def vote_columns(
    votes: Sequence[PbVote],
) -> tuple[Sequence[Sequence[str]], Sequence[tuple[Amount, ...] | None]]:
    """Each ballot's projects and points, read from the columns of a ``PbVotes`` without a ``PbVote`` each."""
    if isinstance(votes, PbVotes):
        return votes.votes, [None] * len(votes) if votes.points is None else votes.points
    return [vote.vote for vote in votes], [vote.points for vote in votes]


@dataclass(frozen=True, slots=True)
class VoteLayout:
    """Where the VOTES columns are: the header's width and the position of each column."""

    width: int
    voter_at: int
    vote_at: int
    points_at: int | None
    extra: tuple[tuple[int, str], ...]


def is_plain(lines: Sequence[str]) -> bool:
    """No quote anywhere: a line is a row and ``;`` always separates cells, as the csv module reads it."""
    text = "".join(lines)
    return '"' not in text and "\x00" not in text


def clean_batch(
    lines: Sequence[str],
    first_line: int,
    layout: VoteLayout,
    projects: Collection[str],
    seen: set[str],
    *,
    project_order: bool = False,
) -> VoteBatch | None:
    """The ballots of plain ``lines`` when none needs a repair or an error; else None (read them row by row).

    ``seen`` holds the voter ids of the batches before; it gains this batch's when the batch is clean. With
    ``project_order``, the C splitter may give each ballot's projects in the order of ``projects``
    (``in_project_order`` says when it did)."""
    if layout.points_at is not None:
        return None  # points are parsed (and checked against the projects) row by row
    if split_clean is not None and isinstance(lines, list):
        at = (layout.width, layout.voter_at, layout.vote_at, tuple(at for at, _ in layout.extra))
        split = split_clean(lines, *at, tuple(projects), seen, project_order)
        if split is not None:
            ids, ballots, columns = split
            fields = {name: column for (_, name), column in zip(layout.extra, columns, strict=True)}
            lines_read = range(first_line, first_line + len(ids))
            return VoteBatch(lines_read, ids, ballots, None, fields, in_project_order=project_order)
    rows = list(map(str.split, map(str.rstrip, lines, repeat("\r\n")), repeat(";")))
    if set(map(len, rows)) != {layout.width}:
        return None  # a blank line or a row of the wrong width
    voter_ids = list(map(str.strip, map(itemgetter(layout.voter_at), rows)))
    unique = set(voter_ids)
    if not all(voter_ids) or len(unique) != len(voter_ids) or not seen.isdisjoint(unique):
        return None
    votes: list[Sequence[str]] = list(map(str.split, map(itemgetter(layout.vote_at), rows), repeat(",")))
    named = set(chain.from_iterable(votes))
    if not named.issubset(projects):
        return None  # spaces, an empty vote or an unknown project
    if not all(map(eq, map(len, map(set, votes)), map(len, votes))):
        return None  # a project named twice: repaired or refused with its line
    fields = {name: _column(rows, at) for at, name in layout.extra}
    seen.update(unique)
    return VoteBatch(range(first_line, first_line + len(rows)), voter_ids, votes, None, fields)


def _column(rows: list[list[str]], at: int) -> list[str | None]:
    return [None if (cell := value.strip()) in NULL_VALUES else cell for value in map(itemgetter(at), rows)]


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cycle collector while a million acyclic objects are built, without an await in between.

    Every full collection scans all the objects built so far, which made building a million ballots two
    to four times as slow; reference counting still frees everything as usual. The pause is process-wide:
    keep it around CPU-bound work only."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
