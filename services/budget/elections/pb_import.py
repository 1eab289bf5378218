"""Import a Pabulib .pb file as an election: META and PROJECTS as rows, VOTES through binary COPY.

The upload (already spooled to disk by the multipart parser) is parsed in a worker thread, batch by
batch, into columns (voter hashes, groups, projects), a run of up to 250,000 ballots at a time; each run
is ordered by voter hash and COPYed batch by batch, the next batch's binary COPY stream made in a worker
and the next run read in another while PostgreSQL takes the last batch. Two runs at most are held, never
the whole file. Voters are stored only as HMAC(secret, "<election id>:<file voter_id>").

A file whose META has `voter_group_weights` (an export of an election with weighted voter groups) gets
those groups and weights back, each voter in the group of their VOTES column `voter_group`. Any other
file is one group, `voters`, where every ballot counts once.
"""

import asyncio
import contextlib
import hashlib
import hmac
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import partial
from itertools import repeat
from typing import Any, BinaryIO

import asyncpg
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from services.budget.elections import outcomes, repository
from services.budget.elections.ballot_copy import COPY_COLUMNS, ballots_stream, hash_order
from services.budget.elections.ballot_tally import BallotTally, ImportTally, store_tally
from services.budget.elections.errors import InvalidPbFile, OutcomeFailed
from services.budget.elections.models import Election, ElectionProject, VoterGroup
from services.budget.elections.schemas import MAX_VOTER_GROUPS, ImportRepair, ImportResult, VoterGroupIn
from services.budget.elections.tally import driver_connection, json_value, to_decimal
from services.budget.outcomes.instance import OutcomeError
from services.budget.outcomes.rules import rule_from_meta
from services.budget.pabulib.parser import (
    GROUP_COLUMN,
    GROUP_WEIGHTS_KEY,
    Amount,
    PbFormatError,
    PbReader,
    parse_amount,
    parse_group_weights,
)
from services.budget.pabulib.votes import VoteBatch, no_cyclic_gc
from shared.auth import Identity

IMPORT_GROUP = "voters"
BALLOT_COLUMNS = ("election_id", "voter_hash", "voter_group", "project_ids", "points")
BallotRecord = tuple[int, bytes, str, Sequence[str], list[Decimal] | None]
Batch = list[BallotRecord] | bytes
"""A batch to COPY: records for asyncpg to encode (ballots with points), or a whole binary COPY stream."""


def _problem(exc: PbFormatError) -> InvalidPbFile:
    return InvalidPbFile(
        f"line {exc.line_no}: {exc.message}",
        detail_ko=f"{exc.line_no}행: {exc.message}",
        field="body.file",
        extra={"line": exc.line_no},
    )


def _storable_lines(binary: BinaryIO) -> Iterator[str]:
    """The lines of the file; a NUL (PostgreSQL cannot store it) or bytes not UTF-8 stop it, with the line.

    The decoder reads ahead, so an undecodable byte is reported at the first line not yet read."""
    line_no = 0
    lines = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    try:
        for line_no, line in enumerate(lines, start=1):
            if "\x00" in line:
                raise PbFormatError(line_no, "contains a NUL character")
            yield line
    except UnicodeDecodeError as exc:
        raise PbFormatError(line_no + 1, "the file is not UTF-8 text") from exc


def _open(binary: BinaryIO, strict: bool) -> PbReader:
    try:
        return PbReader(_storable_lines(binary), repair=not strict)
    except PbFormatError as exc:
        raise _problem(exc) from exc
    except UnicodeDecodeError as exc:
        raise InvalidPbFile(
            "the file is not UTF-8 text", detail_ko="파일이 UTF-8 텍스트가 아닙니다.", field="body.file"
        ) from exc


def _meta_int(meta: dict[str, str], key: str) -> int | None:
    value = meta.get(key, "").strip()
    if value in ("", "None"):
        return None
    try:
        return int(parse_amount(value))
    except (ValueError, TypeError) as exc:
        raise InvalidPbFile(
            f"META {key} is not a whole number: {value!r}",
            detail_ko=f"META {key}이(가) 정수가 아닙니다: {value!r}",
            field="body.file",
        ) from exc


def _meta_amount(meta: dict[str, str], key: str) -> Decimal | None:
    value = meta.get(key, "").strip()
    if value in ("", "None"):
        return None
    try:
        return to_decimal(parse_amount(value))
    except ValueError as exc:
        raise InvalidPbFile(
            f"META {key} is not a number: {value!r}",
            detail_ko=f"META {key}이(가) 숫자가 아닙니다: {value!r}",
            field="body.file",
        ) from exc


def _group_weights(reader: PbReader) -> dict[str, int] | None:
    """The voter groups and their weights when the file names them (META and VOTES column), else None."""
    text = reader.meta.get(GROUP_WEIGHTS_KEY, "").strip()
    if text in ("", "None"):
        return None
    try:
        weights = parse_group_weights(text)
    except ValueError as exc:
        raise InvalidPbFile(
            f"META {GROUP_WEIGHTS_KEY}: {exc}",
            detail_ko=f"META {GROUP_WEIGHTS_KEY}: {exc}",
            field="body.file",
        ) from exc
    if len(weights) > MAX_VOTER_GROUPS:
        raise InvalidPbFile(
            f"META {GROUP_WEIGHTS_KEY} lists {len(weights)} groups; at most {MAX_VOTER_GROUPS}",
            detail_ko=(
                f"META {GROUP_WEIGHTS_KEY}에 그룹이 {len(weights)}개 있습니다. 최대"
                f" {MAX_VOTER_GROUPS}개입니다."
            ),
            field="body.file",
        )
    for code, weight in weights.items():
        try:
            VoterGroupIn(code=code, name_ko=code, weight=weight, open=False)
        except ValidationError as exc:
            raise InvalidPbFile(
                f"META {GROUP_WEIGHTS_KEY}: group {code!r} needs a code of 1 to 40 of a-z, 0-9, '_' and '-',"
                " and a weight from 1 to 1000000",
                detail_ko=(
                    f"META {GROUP_WEIGHTS_KEY}: 그룹 {code!r}에는 a-z, 0-9, '_', '-'로 된 1~40자의 코드와"
                    " 1~1000000의 가중치가 필요합니다."
                ),
                field="body.file",
            ) from exc
    if GROUP_COLUMN not in reader.vote_columns:
        raise InvalidPbFile(
            f"META {GROUP_WEIGHTS_KEY} needs a VOTES column {GROUP_COLUMN}",
            detail_ko=f"META {GROUP_WEIGHTS_KEY}에는 VOTES 열 {GROUP_COLUMN}이(가) 필요합니다.",
            field="body.file",
        )
    return weights


def _voter_groups(election_id: int, weights: dict[str, int] | None) -> list[VoterGroup]:
    if weights is None:
        return [
            VoterGroup(
                election_id=election_id, code=IMPORT_GROUP, name_ko="유권자", weight=1, open=False, position=0
            )
        ]
    return [
        VoterGroup(election_id=election_id, code=code, name_ko=code, weight=weight, open=False, position=i)
        for i, (code, weight) in enumerate(weights.items())
    ]


class VoterHasher:
    """HMAC-SHA256 of many messages under one key, as ``hmac.digest(key, message, "sha256")`` computes each.

    The key's inner and outer SHA-256 states (RFC 2104) are computed once and copied per message: a
    million voters cost half the CPU of ``hmac.digest``, which sets the key up again for every message."""

    def __init__(self, key: bytes) -> None:
        block = hashlib.sha256().block_size
        key = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
        self._inner = hashlib.sha256(key.translate(hmac.trans_36))
        self._outer = hashlib.sha256(key.translate(hmac.trans_5C))

    def digests(self, messages: Iterable[bytes]) -> list[bytes]:
        inner_copy, outer_copy = self._inner.copy, self._outer.copy
        digests = []
        for message in messages:
            inner = inner_copy()
            inner.update(message)
            outer = outer_copy()
            outer.update(inner.digest())
            digests.append(outer.digest())
        return digests


def _retrieve(future: "asyncio.Future[Any]") -> None:
    """Mark a dropped batch's outcome as seen, so asyncio logs no 'exception was never retrieved'."""
    if not future.cancelled():
        future.exception()


RUN_BATCHES = 25
"""Ballots are ordered by voter hash in runs of up to this many batches (250,000 ballots by default): the
first run is one batch, each next one twice the last, so PostgreSQL starts after one batch is read and each
run is read in less time than PostgreSQL takes for the one before."""


class _Run:
    """Consecutive ballots of the file, as columns, and their order by voter hash."""

    def __init__(self) -> None:
        self.hashes: list[bytes] = []
        self.projects: list[Sequence[str]] = []
        self.groups: list[str] | None = None
        """Each ballot's voter group, or None when every ballot is in the one group."""
        self.points: list[list[Decimal] | None] | None = None
        """Each ballot's points, or None for a file without points (approval ballots)."""
        self.order: list[int] = []

    def __len__(self) -> int:
        return len(self.hashes)

    def batch(self, election_id: int, start: int, size: int) -> Batch:
        """The COPY stream (records, for ballots with points) of a batch of this run in voter-hash order."""
        part = self.order[start : start + size]
        with no_cyclic_gc():
            voters = list(map(self.hashes.__getitem__, part))
            projects = list(map(self.projects.__getitem__, part))
            groups: str | list[str] = IMPORT_GROUP
            if self.groups is not None:
                groups = list(map(self.groups.__getitem__, part))
            if self.points is None:
                return ballots_stream(election_id, voters, groups, projects)
            points = map(self.points.__getitem__, part)
            groups_column = repeat(groups) if isinstance(groups, str) else groups
            return list(zip(repeat(election_id), voters, groups_column, projects, points))


class _Ballots:
    """The file's ballots, read run by run in a worker thread and COPYed in voter-hash order within each run.

    Reading (`read_run`): whole columns at once (a map over each batch, no Python loop per approval ballot):
    the voters' keyed hashes, the projects in the election's order, each ballot's voter group when the file
    names them (`groups`; None: one group), the tally. Each run is then ordered by voter hash: the new
    election's keys of the unique (election_id, voter_hash) index then reach it in ascending order, and
    PostgreSQL inserts each next to the last instead of descending the tree to a random leaf for every row
    (about half of its CPU for a million ballots in file order; runs of 250,000 keep nearly all of the gain
    of one sorted million). The next run is read while PostgreSQL takes this one, and only two runs are
    held. Each batch is, for approval ballots, the bytes of its binary COPY stream (ballot_copy), so the
    event loop only sends them; ballots with points are records for asyncpg.
    """

    def __init__(
        self,
        reader: PbReader,
        election_id: int,
        secret: bytes,
        size: int,
        points: bool,
        groups: dict[str, int] | None,
    ) -> None:
        self.reader = reader
        self.batches: Iterator[VoteBatch] = reader.iter_vote_batches(size, project_order=True)
        self.size = size
        self.positions = {project_id: i for i, project_id in enumerate(reader.projects)}
        self.election_id = election_id
        self.voter_prefix = f"{election_id}:"
        self.hasher = VoterHasher(secret)
        self.with_points = points
        self.groups = groups
        self.count = 0
        self.runs = 0
        self.counted = ImportTally()
        self.tally: BallotTally | None = None

    def read_run(self) -> _Run | None:
        """The next run of ballots ordered by voter hash; None after the last, with `tally` made (while
        PostgreSQL takes the last run). In the worker: no await inside, so the collector can pause while
        a run's acyclic objects are made."""
        run = _Run()
        limit = self.size * min(2 ** min(self.runs, 32), RUN_BATCHES)
        self.runs += 1
        with no_cyclic_gc():
            for batch in self.batches:
                self._read(run, batch)
                if len(run) >= limit:
                    break
            if not run:
                self.tally = self.counted.tally()
                return None
            run.order = hash_order(run.hashes)
        self.count += len(run)
        return run

    def _read(self, run: _Run, batch: VoteBatch) -> None:
        run.hashes += self.hasher.digests(map(str.encode, map(self.voter_prefix.__add__, batch.voter_ids)))
        by_position = partial(sorted, key=self.positions.__getitem__)
        points: list[list[Decimal] | None] | None = None
        projects: Sequence[Sequence[str]]
        if self.with_points and batch.points is not None:
            projects, points = self._with_points(batch.votes, batch.points)
            run.points = [] if run.points is None else run.points
            run.points += points
        elif batch.in_project_order:
            projects = batch.votes  # ordered by the C splitter: no sort per ballot
        else:
            projects = list(map(by_position, batch.votes))
        run.projects += projects
        groups = self._groups(batch)
        if not isinstance(groups, str):
            run.groups = [] if run.groups is None else run.groups
            run.groups += groups
        if (run.points is not None and len(run.points) != len(run)) or (
            run.groups is not None and len(run.groups) != len(run)
        ):
            raise AssertionError("a points or voter_group column in some batches only")  # one VOTES header
        self.counted.add(groups, projects, points)

    def _with_points(
        self, votes: list[Sequence[str]], points: list[tuple[Amount, ...] | None]
    ) -> tuple[list[list[str]], list[list[Decimal] | None]]:
        positions = self.positions
        projects: list[list[str]] = []
        stored: list[list[Decimal] | None] = []
        for items, given in zip(votes, points, strict=True):
            if given is None:
                projects.append(sorted(items, key=positions.__getitem__))
                stored.append(None)
                continue
            order = sorted(range(len(items)), key=lambda i: positions[items[i]])
            projects.append([items[i] for i in order])
            stored.append([to_decimal(given[i]) for i in order])
        return projects, stored

    def _groups(self, batch: VoteBatch) -> str | list[str]:
        """The one group of every ballot, or each ballot's."""
        groups = self.groups
        if groups is None:
            return IMPORT_GROUP
        column = [group or "" for group in batch.fields[GROUP_COLUMN]]
        for line_no, group in zip(batch.line_nos, column, strict=True):
            if group not in groups:
                known = f"META {GROUP_WEIGHTS_KEY}: {', '.join(groups)}"
                raise PbFormatError(line_no, f"voter_group {group!r} is not one of {known}")
        return column

    async def copy(self, conn: asyncpg.Connection) -> None:
        """COPY run after run, batch after batch: the next batch made in one worker thread and the next run
        read in another while PostgreSQL takes this batch.

        One COPY per batch: the ballots' statement-level guard checks each batch as it comes, and no single
        statement has to carry a million rows."""
        futures: list[asyncio.Future[Any]] = []
        try:
            run = await run_in_threadpool(self.read_run)
            while run is not None:
                next_run = asyncio.ensure_future(run_in_threadpool(self.read_run))
                futures = [next_run]
                starts = range(0, len(run), self.size)
                pending = asyncio.ensure_future(run_in_threadpool(run.batch, self.election_id, 0, self.size))
                for following in [*starts[1:], None]:
                    batch = await pending
                    if following is not None:
                        make = partial(run.batch, self.election_id, following, self.size)
                        pending = asyncio.ensure_future(run_in_threadpool(make))
                        futures = [next_run, pending]
                    await self._copy(conn, batch)
                run = await next_run
        finally:
            for future in futures:
                if not future.done():  # the COPY failed: what the workers make is dropped, unread
                    future.cancel()
                    future.add_done_callback(_retrieve)

    @staticmethod
    async def _copy(conn: asyncpg.Connection, batch: Batch) -> None:
        if isinstance(batch, bytes):  # a memoryview: asyncpg takes bytes for a file's path
            await conn.copy_to_table(
                "ballots",
                schema_name="budget",
                columns=COPY_COLUMNS,
                source=memoryview(batch),
                format="binary",
            )
        else:
            await conn.copy_records_to_table(
                "ballots", schema_name="budget", columns=BALLOT_COLUMNS, records=batch
            )


async def import_pb(
    session: AsyncSession,
    *,
    binary: BinaryIO,
    filename: str | None,
    name_ko: str | None,
    cycle_id: int | None,
    published: bool,
    actor: Identity,
    secret: bytes,
    batch_rows: int,
    statement_timeout_ms: int,
    strict: bool = False,
) -> ImportResult:
    """Import a file; dirt the reader can safely repair is repaired and reported, or refused when `strict`."""
    reader = await run_in_threadpool(_open, binary, strict)
    meta = reader.meta
    vote_type = reader.vote_type
    if vote_type not in ("approval", "cumulative"):
        raise InvalidPbFile(
            f"vote type {vote_type!r} is not supported (approval, cumulative)",
            detail_ko=f"투표 유형 {vote_type!r}은(는) 지원하지 않습니다(approval, cumulative만 지원).",
            field="body.file",
        )
    try:
        rule, rule_params = rule_from_meta(meta)
    except OutcomeError:
        rule, rule_params = "greedy", {}
    budget = _meta_amount(meta, "budget")
    assert budget is not None  # the parser insists on it
    weights = _group_weights(reader)
    now = await repository.now(session)
    election = Election(
        cycle_id=cycle_id,
        name_ko=name_ko or meta.get("description") or meta.get("instance") or filename or "Pabulib election",
        source="pabulib",
        ballot_type=vote_type,
        min_length=_meta_int(meta, "min_length") or 0,
        max_length=_meta_int(meta, "max_length"),
        max_total_cost=_meta_amount(meta, "max_sum_cost"),
        max_points=_meta_amount(meta, "max_sum_points") if vote_type == "cumulative" else None,
        budget=budget,
        currency=meta.get("currency", "").strip() or "?",
        rule=rule,
        rule_params=json_value(rule_params),
        opens_at=now,
        closes_at=now,
        accepting_import=True,
        meta=meta,
        project_columns=list(reader.project_columns),
        created_by=actor.subject,
    )
    await repository.add(session, election)
    await repository.add(
        session,
        *_voter_groups(election.id, weights),
        *[
            ElectionProject(
                election_id=election.id,
                project_id=project.id,
                position=i,
                cost=to_decimal(project.cost),
                name=project.name,
                fields=project.fields,
            )
            for i, project in enumerate(reader.projects.values())
        ],
    )
    batches = _Ballots(
        reader,
        election.id,
        secret,
        batch_rows,
        points=vote_type == "cumulative",
        groups=weights,
    )
    conn = await driver_connection(session)
    # A city-wide file is a million ballots: this transaction's statements get the import's own limit.
    await conn.execute(f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}")
    try:
        await batches.copy(conn)
    except PbFormatError as exc:
        raise _problem(exc) from exc
    # Greedy reads this tally instead of counting the ballots again (it is deleted if they ever change).
    assert batches.tally is not None  # copy() read the batches to their end
    await store_tally(session, election.id, batches.tally)
    election.accepting_import = False
    if published:
        election.published_at = await repository.now(session)
        election.published_by = actor.subject
        await session.flush()
        # Published now: its outcome is recorded now, as publish() does, for callers who may only read it.
        # An outcome the rule cannot decide (MES without voters) leaves the import as it was: imported.
        with contextlib.suppress(OutcomeFailed):
            await outcomes.record_published_outcome(session, election, actor)
    await session.flush()
    return ImportResult(
        id=election.id,
        name_ko=election.name_ko,
        n_projects=len(reader.projects),
        n_ballots=batches.count,
        rule=rule,
        published=published,
        repairs=[ImportRepair(line=r.line_no, detail=r.message) for r in reader.repairs],
        n_repairs=reader.repair_count,
    )
