"""Import a Pabulib .pb file as an election: META and PROJECTS as rows, VOTES streamed into COPY.

The upload (already spooled to disk by the multipart parser) is parsed in a worker thread, batch by
batch, while the event loop feeds the batches to asyncpg's binary COPY; the whole file is never held
in memory. Voters are stored only as HMAC(secret, "<election id>:<file voter_id>").

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
from typing import BinaryIO

import asyncpg
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from services.budget.elections import outcomes, repository
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


def _retrieve(future: "asyncio.Future[list[BallotRecord]]") -> None:
    """Mark a dropped batch's outcome as seen, so asyncio logs no 'exception was never retrieved'."""
    if not future.cancelled():
        future.exception()


class _Batches:
    """Turns the reader's vote batches into COPY records, a batch at a time, in a worker thread.

    Whole columns at once (a map over the batch, no Python loop per approval ballot): the voters' keyed
    hashes, the projects in the election's order. `groups`: the file's voter groups, each voter's own read
    from the `voter_group` column; None: one group.
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
        self.positions = {project_id: i for i, project_id in enumerate(reader.projects)}
        self.election_id = election_id
        self.voter_prefix = f"{election_id}:"
        self.hasher = VoterHasher(secret)
        self.points = points
        self.groups = groups
        self.count = 0
        self.counted = ImportTally()
        self.tally: BallotTally | None = None

    def next_batch(self) -> list[BallotRecord]:
        """The next batch's records; [] at the end of the file, with `tally` made.

        The tally (~0.5 s of CPU per million ballots) is made here, in the worker, while PostgreSQL still
        takes the last batch, rather than after it."""
        with no_cyclic_gc():  # no await inside; the batch's lists would make each collection rescan the heap
            batch = next(self.batches, None)
        if batch is None:
            self.tally = self.counted.tally()
            return []
        with no_cyclic_gc():
            records = self._records(batch)
        self.count += len(records)
        return records

    def _records(self, batch: VoteBatch) -> list[BallotRecord]:
        voters = self.hasher.digests(map(str.encode, map(self.voter_prefix.__add__, batch.voter_ids)))
        by_position = partial(sorted, key=self.positions.__getitem__)
        points: list[list[Decimal] | None] | None = None
        projects: Sequence[Sequence[str]]
        if self.points and batch.points is not None:
            projects, points = self._with_points(batch.votes, batch.points)
        elif batch.in_project_order:
            projects = batch.votes  # ordered by the C splitter: no sort per ballot
        else:
            projects = list(map(by_position, batch.votes))
        groups = self._groups(batch)
        self.counted.add(groups, projects, points)
        groups_column = repeat(groups) if isinstance(groups, str) else groups
        points_column = repeat(None) if points is None else points
        return list(zip(repeat(self.election_id), voters, groups_column, projects, points_column))

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
        """COPY batch after batch, the next one parsed in the worker thread while PostgreSQL takes this one.

        One COPY per batch: the ballots' statement-level guard checks each batch as it comes, and no single
        statement has to carry a million rows."""
        pending = asyncio.ensure_future(run_in_threadpool(self.next_batch))
        try:
            while records := await pending:
                pending = asyncio.ensure_future(run_in_threadpool(self.next_batch))
                await conn.copy_records_to_table(
                    "ballots", schema_name="budget", columns=BALLOT_COLUMNS, records=records
                )
        finally:
            if not pending.done():  # the COPY failed: the batch being parsed is dropped, unread
                pending.cancel()
                pending.add_done_callback(_retrieve)


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
    batches = _Batches(
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
