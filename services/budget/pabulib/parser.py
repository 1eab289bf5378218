"""Streaming reader for Pabulib ``.pb`` files.

A ``.pb`` file has three sections, META, PROJECTS and VOTES, in that order. Each is a
``;``-separated CSV block with its own header row. The reader parses META and PROJECTS
eagerly (they are small) and yields votes one by one, so a caller that streams the ballots
elsewhere (for example into PostgreSQL COPY) never holds the whole file in memory.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from services.budget.pabulib.votes import (
    NULL_VALUES,
    PbVote,
    PbVotes,
    VoteBatch,
    VoteLayout,
    clean_batch,
    is_plain,
    no_cyclic_gc,
)

if TYPE_CHECKING:
    import _csv

Amount = int | Fraction
"""An exact amount of money or points: an int when integral, else a Fraction."""

SECTIONS = ("META", "PROJECTS", "VOTES")
GROUP_COLUMN = "voter_group"
"""An extra VOTES column: the voter's group (e.g. ``citizens``), for elections with weighted voter groups."""
GROUP_WEIGHTS_KEY = "voter_group_weights"
"""An extra META key: the groups and their weights, ``citizens:50,committee:40,school:10``."""
POINT_VOTE_TYPES = frozenset({"cumulative", "scoring"})
CSV: dict[str, Any] = {"delimiter": ";", "quotechar": '"', "strict": True}
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


class PbFormatError(ValueError):
    """The input is not a well-formed ``.pb`` file; ``line_no`` is 1-based."""

    def __init__(self, line_no: int, message: str) -> None:
        super().__init__(f"line {line_no}: {message}")
        self.line_no = line_no
        self.message = message

    def __reduce__(self) -> tuple[type[PbFormatError], tuple[int, str]]:
        return (type(self), (self.line_no, self.message))


@dataclass(frozen=True, slots=True)
class PbRepair:
    """Dirt the reader repaired instead of refusing the file: the 1-based line and what was done."""

    line_no: int
    message: str


MAX_REPAIRS_LISTED = 1000
"""Repairs kept with their line; beyond this many, only ``PbReader.repair_count`` grows."""


@dataclass(frozen=True, slots=True)
class PbProject:
    id: str
    cost: Amount
    name: str | None = None
    fields: dict[str, str | None] = field(default_factory=dict)


@dataclass(slots=True)
class PbInstance:
    meta: dict[str, str]
    projects: dict[str, PbProject]
    votes: Sequence[PbVote]
    """A list, or (from the parse functions) a ``PbVotes`` that makes each ``PbVote`` as it is read."""
    project_columns: tuple[str, ...] = ()
    vote_columns: tuple[str, ...] = ()

    @property
    def budget(self) -> Amount:
        return parse_amount(self.meta["budget"])

    @property
    def vote_type(self) -> str:
        return self.meta.get("vote_type", "approval").strip().lower()

    @property
    def rule(self) -> str | None:
        return self.meta.get("rule")


def parse_amount(text: str) -> Amount:
    """Parse a non-negative decimal such as ``1000`` or ``1000.5`` exactly."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"not a decimal number: {text!r}")
    value = Fraction(text)
    if value < 0:
        raise ValueError(f"negative amount: {text!r}")
    return value.numerator if value.denominator == 1 else value


def parse_group_weights(text: str) -> dict[str, int]:
    """Parse ``citizens:50,committee:40``: group codes in order, each with a positive whole weight."""
    weights: dict[str, int] = {}
    for item in text.split(","):
        code, colon, weight = item.partition(":")
        code, weight = code.strip(), weight.strip()
        if not colon or not code or not (weight.isascii() and weight.isdigit()) or int(weight) == 0:
            raise ValueError(f"{item.strip()!r} is not 'group:weight' with a positive whole weight")
        if code in weights:
            raise ValueError(f"group {code!r} is listed twice")
        weights[code] = int(weight)
    return weights


def _null(value: str) -> str | None:
    value = value.strip()
    return None if value in NULL_VALUES else value


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    iterator = iter(lines)
    for first in iterator:
        yield first.removeprefix("\ufeff")
        break
    yield from iterator


class PbReader:
    """Reads META and PROJECTS on construction; ``iter_votes()`` then streams the ballots.

    The reader consumes ``lines`` once, so ``iter_votes()`` can be called only once.

    With ``repair=True`` it repairs the dirt real files carry and their cities' own counts ignore, recording
    each repair in ``repairs``: a vote that lists a project twice counts it once. In a points vote the last
    occurrence's points are kept, as pabutools reads such a vote (it assigns the project's points in order),
    so the outcome equals the reference implementation's on the same file. Without ``repair`` such a vote is
    a ``PbFormatError`` naming its line.
    """

    def __init__(self, lines: Iterable[str], *, repair: bool = False) -> None:
        self.repair = repair
        self.repairs: list[PbRepair] = []
        self.repair_count = 0
        self._lines = _without_bom(lines)
        self._rows = csv.reader(self._lines, **CSV)
        self.meta: dict[str, str] = {}
        self.projects: dict[str, PbProject] = {}
        self.project_columns: tuple[str, ...] = ()
        self.vote_columns: tuple[str, ...] = ()
        self._votes_started = False
        self._line_no = 0
        self._pending: list[str] | None = None
        self._pending_line_no = 0
        self._read_meta()
        self._read_projects()
        self._vote_header = self._read_header("VOTES", required=("voter_id", "vote"))
        self.vote_columns = tuple(self._vote_header)

    @property
    def vote_type(self) -> str:
        return self.meta.get("vote_type", "approval").strip().lower()

    @property
    def line_no(self) -> int:
        """The 1-based line of the row read last: while ``iter_votes()`` is paused, the vote just yielded."""
        return self._line_no

    def iter_votes(self) -> Iterator[PbVote]:
        """Yield each ballot of the VOTES section, validated against the projects.

        Lines are read a batch ahead of the votes yielded, the batches growing from one line: the first
        vote comes after its own line is read, a million come without a Python loop per line."""
        for batch in self.iter_vote_batches(start=1):
            for self._line_no, vote in zip(batch.line_nos, PbVotes([batch]), strict=True):
                yield vote

    def iter_vote_batches(
        self, size: int = 10_000, *, start: int | None = None, project_order: bool = False
    ) -> Iterator[VoteBatch]:
        """The ballots of the VOTES section, validated, up to ``size`` lines of the file at a time.

        With ``start``, the first batch reads that many lines and each next one twice as many, up to ``size``.
        With ``project_order``, a batch may list each ballot's projects in the PROJECTS section's order
        (``VoteBatch.in_project_order``), which spares a caller that stores them so a sort per ballot.
        Clean runs of lines are checked column by column (no object per ballot); the others row by row,
        with the same repairs and errors. ``line_no`` is the last line read."""
        if self._votes_started:
            raise RuntimeError("the votes of a PbReader can be read only once")
        self._votes_started = True
        layout = self._vote_layout()
        seen: set[str] = set()
        assert self._pending is None  # the VOTES header row was the last row read
        lines, read = self._lines, self._rows.line_num
        step = size if start is None else min(start, size)
        while True:
            batch: list[str] = []
            try:
                batch.extend(islice(lines, step))
            except PbFormatError:  # the source refused a line: the lines before it are checked first
                yield from self._careful_batches(csv.reader(batch, **CSV), read, layout, seen, size)
                raise
            if not batch:
                return
            first, read, step = read + 1, read + len(batch), min(2 * step, size)
            if not is_plain(batch):  # quoted cells may span lines: the rest of the file is read row by row
                rows = csv.reader(chain(batch, lines), **CSV)
                yield from self._careful_batches(rows, first - 1, layout, seen, size)
                return
            clean = clean_batch(batch, first, layout, self.projects.keys(), seen, project_order=project_order)
            if clean is not None:
                self._line_no = read
                yield clean
            else:
                yield from self._careful_batches(csv.reader(batch, **CSV), first - 1, layout, seen, size)

    def _vote_layout(self) -> VoteLayout:
        header = self._vote_header
        voter_at, vote_at = header.index("voter_id"), header.index("vote")
        points_at = header.index("points") if "points" in header else None
        if points_at is None and self.vote_type in POINT_VOTE_TYPES:
            raise PbFormatError(self._line_no, f"{self.vote_type} votes need a 'points' column")
        extra = tuple((i, name) for i, name in enumerate(header) if i not in (voter_at, vote_at, points_at))
        return VoteLayout(len(header), voter_at, vote_at, points_at, extra)

    def _careful_batches(
        self, rows: _csv.Reader, offset: int, layout: VoteLayout, seen: set[str], size: int
    ) -> Iterator[VoteBatch]:
        """Rows of a csv reader whose line 1 is line ``offset + 1`` of the file, checked one by one."""
        batch = self._empty_batch(layout)
        for row in self._vote_rows(rows, offset, layout.width):
            self._add_row(batch, row, layout, seen)
            if len(batch) >= size:
                yield batch
                batch = self._empty_batch(layout)
        if len(batch):
            yield batch

    @staticmethod
    def _empty_batch(layout: VoteLayout) -> VoteBatch:
        points: list[tuple[Amount, ...] | None] | None = None if layout.points_at is None else []
        return VoteBatch([], [], [], points, {name: [] for _, name in layout.extra})

    def _add_row(self, batch: VoteBatch, row: list[str], layout: VoteLayout, seen: set[str]) -> None:
        voter_id = row[layout.voter_at].strip()
        if not voter_id:
            raise PbFormatError(self._line_no, "empty voter_id")
        if voter_id in seen:
            raise PbFormatError(self._line_no, f"duplicate voter_id {voter_id!r}")
        seen.add(voter_id)
        text = row[layout.vote_at]
        vote = tuple(text.split(","))  # the common clean form; anything else takes the careful path
        if not self.projects.keys() >= set(vote):
            vote = self._parse_vote(text)
        points_at = layout.points_at
        points = None if points_at is None else self._parse_points(row[points_at], len(vote))
        if len(set(vote)) != len(vote):
            vote, points = self._repeated_projects(vote, points)
        assert isinstance(batch.line_nos, list)
        batch.line_nos.append(self._line_no)
        batch.voter_ids.append(voter_id)
        batch.votes.append(vote)
        if batch.points is not None:
            batch.points.append(points)
        for i, name in layout.extra:
            batch.fields[name].append(None if (v := row[i].strip()) in NULL_VALUES else v)

    def _vote_rows(self, rows: _csv.Reader, offset: int, width: int) -> Iterator[list[str]]:
        """Non-blank VOTES rows of a csv reader whose line 1 is line ``offset + 1``; ``line_no`` follows."""
        try:
            for row in rows:
                self._line_no = offset + rows.line_num
                if not row or not (row[0].strip() or any(cell.strip() for cell in row)):
                    continue
                if len(row) != width:
                    raise PbFormatError(self._line_no, f"VOTES row has {len(row)} fields, header has {width}")
                yield row
        except csv.Error as exc:
            raise PbFormatError(offset + rows.line_num, f"malformed CSV: {exc}") from exc

    def _next_row(self) -> list[str] | None:
        if self._pending is not None:
            row, self._pending = self._pending, None
            self._line_no = self._pending_line_no
            return row
        try:
            row = next(self._rows)
        except StopIteration:
            return None
        except csv.Error as exc:
            raise PbFormatError(self._rows.line_num, f"malformed CSV: {exc}") from exc
        self._line_no = self._rows.line_num
        return row

    def _unread(self, row: list[str]) -> None:
        self._pending, self._pending_line_no = row, self._line_no

    def _next_nonblank(self) -> list[str] | None:
        while (row := self._next_row()) is not None:
            if any(cell.strip() for cell in row):
                return row
        return None

    @staticmethod
    def _section_name(row: list[str]) -> str | None:
        name = row[0].strip().upper()
        if name in SECTIONS and not any(cell.strip() for cell in row[1:]):
            return name
        return None

    def _read_header(self, section: str, required: tuple[str, ...]) -> list[str]:
        row = self._next_nonblank()
        if row is None or self._section_name(row) != section:
            found = "end of file" if row is None else repr(";".join(row)[:40])
            raise PbFormatError(self._line_no + (row is None), f"expected section {section}, found {found}")
        header = self._next_nonblank()
        if header is None:
            raise PbFormatError(self._line_no + 1, f"section {section} has no header row")
        columns = [cell.strip() for cell in header]
        missing = [name for name in required if name not in columns]
        if missing:
            raise PbFormatError(self._line_no, f"{section} header lacks column(s) {', '.join(missing)}")
        if len(set(columns)) != len(columns):
            raise PbFormatError(self._line_no, f"{section} header repeats a column")
        return columns

    def _section_rows(self, section: str, width: int | None) -> Iterator[list[str]]:
        """Data rows of ``section`` up to the next section title, which is left unread."""
        following = SECTIONS[SECTIONS.index(section) + 1] if section != "VOTES" else None
        while (row := self._next_nonblank()) is not None:
            name = self._section_name(row) if following is not None else None
            if name is not None and name == following:
                self._unread(row)
                return
            if name is not None:
                raise PbFormatError(self._line_no, f"section {name} out of order (expected {following})")
            if width is not None and len(row) != width:
                raise PbFormatError(self._line_no, f"{section} row has {len(row)} fields, header has {width}")
            yield row

    def _read_meta(self) -> None:
        header = self._read_header("META", required=())
        if header[:2] != ["key", "value"]:
            raise PbFormatError(self._line_no, "META header must be 'key;value'")
        for row in self._section_rows("META", None):
            key = row[0].strip()
            if len(row) < 2 or not key:
                raise PbFormatError(self._line_no, "META row must be 'key;value'")
            if key in self.meta:
                raise PbFormatError(self._line_no, f"duplicate META key {key!r}")
            # A value with an unquoted ';' splits into several cells: keep it whole.
            self.meta[key] = ";".join(row[1:]).strip()
            if key == "budget":
                self._amount(self.meta[key], "budget")
        if "budget" not in self.meta:
            raise PbFormatError(self._line_no, "META has no 'budget'")

    def _read_projects(self) -> None:
        header = self._read_header("PROJECTS", required=("project_id", "cost"))
        self.project_columns = tuple(header)
        id_at, cost_at = header.index("project_id"), header.index("cost")
        name_at = header.index("name") if "name" in header else None
        extra = [(i, name) for i, name in enumerate(header) if i not in (id_at, cost_at, name_at)]
        for row in self._section_rows("PROJECTS", len(header)):
            project_id = row[id_at].strip()
            if not project_id:
                raise PbFormatError(self._line_no, "empty project_id")
            if project_id in self.projects:
                raise PbFormatError(self._line_no, f"duplicate project_id {project_id!r}")
            cost = self._amount(row[cost_at], f"cost of project {project_id!r}")
            name = None if name_at is None else _null(row[name_at])
            fields = {column: _null(row[i]) for i, column in extra}
            self.projects[project_id] = PbProject(project_id, cost, name, fields)

    def _amount(self, text: str, what: str) -> Amount:
        try:
            return parse_amount(text)
        except ValueError as exc:
            raise PbFormatError(self._line_no, f"{what}: {exc}") from None

    def _parse_vote(self, text: str) -> tuple[str, ...]:
        vote = tuple(item.strip() for item in text.split(",") if item.strip())
        unknown = [item for item in vote if item not in self.projects]
        if unknown:
            raise PbFormatError(self._line_no, f"vote names unknown project {unknown[0]!r}")
        return vote

    def _repeated_projects(
        self, vote: tuple[str, ...], points: tuple[Amount, ...] | None
    ) -> tuple[tuple[str, ...], tuple[Amount, ...] | None]:
        """A vote naming a project twice or more: refused, or each project once (the last points kept)."""
        repeated = list(dict.fromkeys(item for i, item in enumerate(vote) if item in vote[:i]))
        names = ", ".join(repr(item) for item in repeated)
        if not self.repair:
            raise PbFormatError(self._line_no, f"vote lists project {names} twice or more")
        if points is None:
            self._record(f"vote lists project {names} twice or more: counted once")
            return tuple(dict.fromkeys(vote)), None
        kept = dict(zip(vote, points, strict=True))  # first position, last occurrence's points
        given = "; ".join(
            f"{item!r}: {', '.join(str(p) for v, p in zip(vote, points, strict=True) if v == item)}"
            for item in repeated
        )
        self._record(f"vote lists project {names} twice or more (points {given}): the last points kept")
        return tuple(kept), tuple(kept.values())

    def _record(self, message: str) -> None:
        self.repair_count += 1
        if len(self.repairs) < MAX_REPAIRS_LISTED:
            self.repairs.append(PbRepair(self._line_no, message))

    def _parse_points(self, text: str, expected: int) -> tuple[Amount, ...] | None:
        items = [item for item in text.split(",") if item.strip()]
        if not items and expected == 0:
            return ()
        if len(items) != expected:
            raise PbFormatError(self._line_no, f"{len(items)} points for {expected} projects")
        return tuple(self._amount(item, "points") for item in items)


def parse_pb_lines(lines: Iterable[str]) -> PbInstance:
    """Parse a whole instance from an iterable of text lines (line endings kept or not)."""
    reader = PbReader(lines)
    with no_cyclic_gc():
        votes = PbVotes(reader.iter_vote_batches())
    return PbInstance(reader.meta, reader.projects, votes, reader.project_columns, reader.vote_columns)


def parse_pb_text(text: str) -> PbInstance:
    """Parse a whole instance held in a string."""
    return parse_pb_lines(io.StringIO(text, newline=""))


def parse_pb_file(path: str | os.PathLike[str]) -> PbInstance:
    """Parse a whole ``.pb`` file (UTF-8, with or without BOM, LF or CRLF)."""
    with open_pb(path) as reader, no_cyclic_gc():
        votes = PbVotes(reader.iter_vote_batches())
        return PbInstance(reader.meta, reader.projects, votes, reader.project_columns, reader.vote_columns)


@contextmanager
def open_pb(path: str | os.PathLike[str]) -> Iterator[PbReader]:
    """Open a ``.pb`` file for streaming: META and PROJECTS are read, votes are not yet."""
    with Path(path).open(encoding="utf-8-sig", newline="") as stream:
        yield PbReader(stream)


def read_pb_stream(stream: TextIO) -> PbReader:
    """Wrap an already open text stream (opened with ``newline=''`` ideally)."""
    return PbReader(stream)
