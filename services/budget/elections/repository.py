from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

import asyncpg
from sqlalchemy import Table, bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.elections.models import (
    Ballot,
    Election,
    ElectionProject,
    OutcomeComputation,
    OutcomeRecord,
    VoterGroup,
    VoterRollEntry,
)
from services.budget.elections.tally import BallotGroup, driver_connection
from services.budget.pabulib.votes import no_cyclic_gc
from shared.driver import Statement

ballots = cast(Table, Ballot.__table__)


async def get_election(
    session: AsyncSession, election_id: int, *, lock: str | None = None
) -> Election | None:
    query = select(Election).where(Election.id == election_id).execution_options(populate_existing=True)
    if lock == "share":
        query = query.with_for_update(read=True)
    elif lock == "update":
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def election_of_envelope(session: AsyncSession, envelope_id: int) -> int | None:
    query = select(Election.id).where(Election.envelope_id == envelope_id)
    return (await session.execute(query)).scalar_one_or_none()


async def list_elections(session: AsyncSession, *, before_id: int | None, limit: int) -> Sequence[Election]:
    query = select(Election).order_by(Election.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Election.id < before_id)
    return (await session.scalars(query)).all()


async def projects_of(session: AsyncSession, election_id: int) -> Sequence[ElectionProject]:
    query = select(ElectionProject).where(ElectionProject.election_id == election_id)
    return (await session.scalars(query.order_by(ElectionProject.position))).all()


async def groups_of(session: AsyncSession, election_id: int) -> Sequence[VoterGroup]:
    query = select(VoterGroup).where(VoterGroup.election_id == election_id)
    return (await session.scalars(query.order_by(VoterGroup.position))).all()


async def ballots_in_export_order(session: AsyncSession, election_id: int) -> list[Any]:
    """(voter_group, project_ids, points) of each ballot, by voter hash; the export numbers voters 1..n."""
    conn = await driver_connection(session)
    return list(
        await conn.fetch(
            "SELECT voter_group, project_ids, points FROM ballots WHERE election_id = $1 ORDER BY voter_hash",
            election_id,
        )
    )


async def list_ballot_groups(session: AsyncSession, election_id: int) -> list[BallotGroup]:
    """The election's ballots grouped by identical content (voter group, projects, points), with counts."""
    conn = await driver_connection(session)
    # The projects come as one comma-joined string: decoding a text[] per row was most of the read's time
    # (a million ballots), and a project id cannot hold a comma (ck_election_projects_project_id_plain).
    # A city-wide vote has ~10^6 distinct ballots: with the default 4 MB PostgreSQL sorts them on disk; 128 MB
    # (for this transaction only) lets it hash them in memory, about three times faster at a million.
    await conn.execute("SET LOCAL work_mem = '128MB'")
    rows = await conn.fetch(
        "SELECT voter_group, array_to_string(project_ids, ','), points, count(*) FROM ballots"
        " WHERE election_id = $1 GROUP BY voter_group, project_ids, points",
        election_id,
    )
    with no_cyclic_gc():
        return [
            BallotGroup(
                group,
                tuple(ids.split(",")) if ids else (),
                tuple(points) if points is not None else None,
                count,
            )
            for group, ids, points, count in rows
        ]


async def add(session: AsyncSession, *records: object) -> None:
    session.add_all(records)
    await session.flush()


async def now(session: AsyncSession) -> datetime:
    now: datetime = (await session.execute(text("SELECT clock_timestamp()"))).scalar_one()
    return now


async def add_to_roll(
    session: AsyncSession, election_id: int, voter_group: str, hashes: Sequence[bytes], actor: str
) -> int:
    statement = insert(VoterRollEntry).values(
        [
            {"election_id": election_id, "voter_hash": h, "voter_group": voter_group, "added_by": actor}
            for h in hashes
        ]
    )
    statement = statement.on_conflict_do_update(
        index_elements=["election_id", "voter_hash"],
        set_={"voter_group": statement.excluded.voter_group, "added_by": actor},
    )
    await session.execute(statement)
    return len(hashes)


# The voter's ballot cast or replaced, only while the election is open, its row share-locked first (closing
# takes its update lock, so it waits for ballots being cast). No row when the election is not open. An
# INSERT … SELECT, not a CTE returning the window with the ballot (which cost PostgreSQL more: 0.187 vs
# 0.173 ms a first ballot, triggers off, one connection).
_CAST_IN_WINDOW = (
    text(
        "INSERT INTO ballots (election_id, voter_hash, voter_group, project_ids, points)"
        " SELECT e.id, :voter_hash, :voter_group, :project_ids, :points FROM elections e"
        " WHERE e.id = :election_id AND NOT e.accepting_import"
        " AND clock_timestamp() >= e.opens_at AND clock_timestamp() < e.closes_at FOR SHARE OF e"
        " ON CONFLICT (election_id, voter_hash) DO UPDATE SET voter_group = EXCLUDED.voter_group,"
        " project_ids = EXCLUDED.project_ids, points = EXCLUDED.points, cast_at = now(),"
        " revision = ballots.revision + 1"
        " RETURNING voter_group, project_ids, points, cast_at, revision"
    )
    .bindparams(
        bindparam("voter_hash", type_=ballots.c.voter_hash.type),
        bindparam("project_ids", type_=ballots.c.project_ids.type),
        bindparam("points", type_=ballots.c.points.type),
    )
    .columns(project_ids=ballots.c.project_ids.type, points=ballots.c.points.type)
)


async def get_ballot(session: AsyncSession, election_id: int, voter_hash: bytes) -> Any:
    query = select(
        ballots.c.voter_group, ballots.c.project_ids, ballots.c.points, ballots.c.cast_at, ballots.c.revision
    ).where(ballots.c.election_id == election_id, ballots.c.voter_hash == voter_hash)
    return (await session.execute(query)).one_or_none()


async def find_outcome(
    session: AsyncSession,
    *,
    election_id: int,
    rule: str,
    params: dict[str, Any],
    tie_break: list[str],
    digest: str,
) -> OutcomeRecord | None:
    query = select(OutcomeRecord).where(
        OutcomeRecord.election_id == election_id,
        OutcomeRecord.rule == rule,
        OutcomeRecord.params == params,
        OutcomeRecord.tie_break == tie_break,
        OutcomeRecord.ballot_digest == digest,
    )
    return (await session.scalars(query)).one_or_none()


_CLAIM = text(
    "INSERT INTO outcome_computations AS c (key, election_id, owner, started_at, lease_until)"
    " VALUES (:key, :election_id, :owner, now(), now() + make_interval(secs => :lease))"
    " ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, started_at = EXCLUDED.started_at,"
    " lease_until = EXCLUDED.lease_until WHERE c.lease_until < now()"
    " RETURNING c.started_at"
)


async def claim_outcome_computation(
    session: AsyncSession, *, key: str, election_id: int, owner: str, lease_seconds: float
) -> datetime | None:
    """Claim computing this outcome for `lease_seconds`, in one statement: a new claim, or one whose lease
    has run out (its owner died or stalled) taken over. Its start time; None while another's lease is live."""
    found = await session.execute(
        _CLAIM, {"key": key, "election_id": election_id, "owner": owner, "lease": lease_seconds}
    )
    started: datetime | None = found.scalar_one_or_none()
    return started


async def outcome_computation(session: AsyncSession, key: str) -> OutcomeComputation | None:
    query = select(OutcomeComputation).where(OutcomeComputation.key == key)
    return (await session.scalars(query.execution_options(populate_existing=True))).one_or_none()


async def renew_outcome_computation(
    session: AsyncSession, *, key: str, owner: str, lease_seconds: float
) -> bool:
    """Extend the owner's lease from now; False when the claim is no longer this owner's."""
    renewed = await session.execute(
        text(
            "UPDATE outcome_computations SET lease_until = now() + make_interval(secs => :lease)"
            " WHERE key = :key AND owner = :owner RETURNING key"
        ),
        {"key": key, "owner": owner, "lease": lease_seconds},
    )
    return renewed.first() is not None


async def release_outcome_computation(session: AsyncSession, *, key: str, owner: str) -> None:
    await session.execute(
        delete(OutcomeComputation).where(OutcomeComputation.key == key, OutcomeComputation.owner == owner)
    )


async def insert_outcome(session: AsyncSession, values: dict[str, Any]) -> None:
    """Store an outcome unless an identical one (same rule, params, tie-break and ballots) exists.

    The election's row is taken FOR KEY SHARE (what the foreign key's check takes) before the insert, so a
    publish() holding it FOR UPDATE is waited for before this outcome enters the unique index: otherwise
    publish() inserting the same outcome waits for this transaction while it waits for publish (a deadlock).
    """
    held = select(Election.id).where(Election.id == values["election_id"])
    await session.execute(held.with_for_update(read=True, key_share=True))
    await session.execute(insert(OutcomeRecord).values(**values).on_conflict_do_nothing())


# The ballot's hot path runs on the bare asyncpg connection (shared.driver): its statements, compiled once.
_CAST = Statement.of(_CAST_IN_WINDOW)
_WINDOW = Statement.of(
    text(
        "SELECT opens_at, closes_at, accepting_import, clock_timestamp() AS now"
        " FROM elections WHERE id = :election_id FOR SHARE"
    )
)
_ROLL_GROUP = Statement.of(
    select(VoterRollEntry.voter_group).where(
        VoterRollEntry.election_id == bindparam("election_id"),
        VoterRollEntry.voter_hash == bindparam("voter_hash", type_=VoterRollEntry.voter_hash.type),
    )
)
_BALLOT_RULES = Statement.of(
    select(Election.ballot_type, Election.min_length, Election.max_length)
    .add_columns(Election.max_total_cost, Election.max_points)
    .where(Election.id == bindparam("election_id"))
)
_PROJECT_COSTS = Statement.of(
    select(ElectionProject.project_id, ElectionProject.position, ElectionProject.cost)
    .where(ElectionProject.election_id == bindparam("election_id"))
    .order_by(ElectionProject.position)
)
_GROUP_CODES = Statement.of(
    select(VoterGroup.code, VoterGroup.open)
    .where(VoterGroup.election_id == bindparam("election_id"))
    .order_by(VoterGroup.position)
)


def _row(record: asyncpg.Record | None) -> Any:
    """A record with attribute access, as the session's rows have."""
    return None if record is None else SimpleNamespace(**record)


async def cast_now(connection: asyncpg.Connection, **values: Any) -> Any:
    """Cast or replace the voter's ballot if the election is open, in one statement (one round trip, its own
    transaction: no transaction is open on the connection), the election row share-locked first. Returns the
    ballot; None when the election is not open (or does not exist). `values`: election_id, voter_hash,
    voter_group, project_ids, points."""
    return _row(await _CAST.fetchrow(connection, **values))


async def window_now(connection: asyncpg.Connection, election_id: int) -> Any:
    """The election's window and the time (the row share-locked for the statement, as closing an election
    takes its update lock); None when there is no such election."""
    return _row(await _WINDOW.fetchrow(connection, election_id=election_id))


async def roll_group_of(connection: asyncpg.Connection, election_id: int, voter_hash: bytes) -> str | None:
    row = await _ROLL_GROUP.fetchrow(connection, election_id=election_id, voter_hash=voter_hash)
    return None if row is None else str(row[0])


async def ballot_rules(
    connection: asyncpg.Connection, election_id: int
) -> tuple[Any, list[asyncpg.Record], list[asyncpg.Record]] | None:
    """The election's ballot rules, its projects (id, position, cost) and voter groups (code, open)."""
    election = _row(await _BALLOT_RULES.fetchrow(connection, election_id=election_id))
    if election is None:
        return None
    projects = await _PROJECT_COSTS.fetch(connection, election_id=election_id)
    return election, projects, await _GROUP_CODES.fetch(connection, election_id=election_id)
