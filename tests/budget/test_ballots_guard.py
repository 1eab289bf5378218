"""The ballots' statement triggers (0003, 0012, 0013) refuse in the database what the API refuses, name the
broken rule, and drop an election's kept tally on any insert or update of its ballots, whatever the path."""

import re
from typing import Any

import asyncpg
import pytest

from tests.budget.conftest import Budget, create_election
from tests.budget.test_ballot_tally import POINTS_PB, _import
from tests.budget.test_ballots_election_check import _connect
from tests.conftest import Database

INSERT = (
    "INSERT INTO budget.ballots (election_id, voter_hash, voter_group, project_ids, points)"
    " VALUES ($1, $2, $3, $4, $5)"
)
UPSERT = INSERT + (
    " ON CONFLICT (election_id, voter_hash) DO UPDATE SET voter_group = EXCLUDED.voter_group,"
    " project_ids = EXCLUDED.project_ids, points = EXCLUDED.points, revision = ballots.revision + 1"
)
TALLIES = "SELECT count(*) FROM budget.ballot_tallies WHERE election_id = $1"


async def _election(committing: Budget) -> int:
    rules = {"type": "approval", "max_length": 2, "max_total_cost_krw": 900_000}
    return int((await create_election(committing, ballot=rules))["id"])


BAD = [
    ("nobody", ["A"], None, "has no voter group nobody"),
    ("citizens", ["A", "Z"], None, "has no project Z"),
    ("citizens", ["D", "D"], None, "lists a project twice"),
    ("citizens", ["B", "C", "D"], None, "breaks the ballot rules"),  # max_length 2
    ("citizens", ["A", "B"], None, "breaks the ballot rules"),  # 1,100,000 > 900,000
    ("citizens", ["A"], [1], "breaks the ballot rules"),  # points on an approval ballot
]


@pytest.mark.parametrize(("group", "projects", "points", "message"), BAD)
@pytest.mark.parametrize("how", ["insert", "upsert of a new voter", "re-cast", "update"])
async def test_the_guard_refuses_a_broken_rule_and_names_it(
    committing: Budget,
    committed_database: Database,
    how: str,
    group: str,
    projects: list[str],
    points: list[int] | None,
    message: str,
) -> None:
    election_id = await _election(committing)
    conn = await _connect(committed_database)
    try:
        await conn.execute(INSERT, election_id, b"\x01" * 32, "citizens", ["D"], None)  # a valid one
        with pytest.raises(asyncpg.RaiseError, match=re.escape(message)) as refused:
            if how == "insert":
                await conn.execute(INSERT, election_id, b"\x02" * 32, group, projects, points)
            elif how == "upsert of a new voter":
                await conn.execute(UPSERT, election_id, b"\x02" * 32, group, projects, points)
            elif how == "re-cast":
                await conn.execute(UPSERT, election_id, b"\x01" * 32, group, projects, points)
            else:
                await conn.execute(
                    "UPDATE budget.ballots SET voter_group = $2, project_ids = $3, points = $4"
                    " WHERE election_id = $1",
                    election_id,
                    group,
                    projects,
                    points,
                )
        assert message in str(refused.value)
        count = "SELECT count(*), max(revision) FROM budget.ballots WHERE election_id = $1"
        assert tuple(await conn.fetchrow(count, election_id)) == (1, 1)
    finally:
        await conn.close()


async def test_a_valid_ballot_passes_and_a_closed_window_is_refused(
    committing: Budget, committed_database: Database
) -> None:
    election_id = await _election(committing)
    conn = await _connect(committed_database)
    try:
        await conn.execute(UPSERT, election_id, b"\x01" * 32, "citizens", ["C", "A"], None)
        await conn.execute(UPSERT, election_id, b"\x01" * 32, "citizens", ["B"], None)
        ballot = await conn.fetchrow(
            "SELECT project_ids, revision FROM budget.ballots WHERE election_id = $1", election_id
        )
        assert (list(ballot["project_ids"]), ballot["revision"]) == (["B"], 2)
        await conn.execute(
            "UPDATE budget.elections SET opens_at = now() - interval '2 hours',"
            " closes_at = now() - interval '1 hour' WHERE id = $1",
            election_id,
        )
        for voter in (b"\x01" * 32, b"\x02" * 32):  # a re-cast and a new voter
            with pytest.raises(asyncpg.RaiseError, match=f"election {election_id} is not open for ballots"):
                await conn.execute(UPSERT, election_id, voter, "citizens", ["A"], None)
    finally:
        await conn.close()


async def _in_import(conn: asyncpg.Connection, *election_ids: int) -> None:
    """Imported ballots are historical: only an election taking an import takes new ones."""
    await conn.execute(
        "UPDATE budget.elections SET accepting_import = true WHERE id = ANY ($1)", list(election_ids)
    )


@pytest.mark.parametrize(
    "change",
    [
        (
            "INSERT INTO budget.ballots (election_id, voter_hash, voter_group, project_ids, points)"
            " SELECT $1, sha256('x'), voter_group, project_ids, points FROM budget.ballots"
            " WHERE election_id = $1 LIMIT 1"
        ),
        "UPDATE budget.ballots SET revision = revision + 1 WHERE id = (SELECT min(id) FROM budget.ballots"
        " WHERE election_id = $1)",
        "UPDATE budget.ballots SET election_id = $2 WHERE id = (SELECT min(id) FROM budget.ballots"
        " WHERE election_id = $1)",
    ],
    ids=["insert", "update", "a ballot moved to another election"],
)
async def test_a_write_to_the_ballots_drops_the_kept_tallies_of_the_elections_it_touches(
    committing: Budget, committed_database: Database, change: str
) -> None:
    first = await _import(committing, "points.pb", POINTS_PB.encode())
    second = await _import(committing, "points.pb", POINTS_PB.encode())
    conn = await _connect(committed_database)
    try:
        tr = conn.transaction()
        await tr.start()
        try:
            await _in_import(conn, first, second)
            args: list[Any] = [first, second] if "$2" in change else [first]
            await conn.execute(change, *args)
            kept = [await conn.fetchval(TALLIES, e) for e in (first, second)]
        finally:
            await tr.rollback()
        assert kept == ([0, 0] if "$2" in change else [0, 1])
        assert [await conn.fetchval(TALLIES, e) for e in (first, second)] == [1, 1]
    finally:
        await conn.close()


@pytest.mark.parametrize("how", ["insert", "upsert of a new voter", "re-cast", "a ballot moved here"])
async def test_a_valid_ballot_drops_the_kept_tally_of_its_open_election(
    committing: Budget, committed_database: Database, how: str
) -> None:
    """A tally kept for an open election (written as an import writes it) is stale after any valid write."""
    here, other = await _election(committing), await _election(committing)
    conn = await _connect(committed_database)
    try:
        await conn.execute(INSERT, here, b"\x01" * 32, "citizens", ["D"], None)
        await conn.execute(INSERT, other, b"\x03" * 32, "citizens", ["D"], None)
        for election_id in (here, other):
            await conn.execute(
                "INSERT INTO budget.ballot_tallies (election_id, ballot_digest, sizes, supports)"
                " VALUES ($1, 'kept', '{}', '[]')",
                election_id,
            )
        if how == "insert":
            await conn.execute(INSERT, here, b"\x02" * 32, "citizens", ["A"], None)
        elif how == "upsert of a new voter":
            await conn.execute(UPSERT, here, b"\x02" * 32, "citizens", ["A"], None)
        elif how == "re-cast":
            await conn.execute(UPSERT, here, b"\x01" * 32, "citizens", ["A"], None)
        else:
            move = "UPDATE budget.ballots SET election_id = $1 WHERE election_id = $2"
            await conn.execute(move, here, other)
        kept = [await conn.fetchval(TALLIES, e) for e in (here, other)]
        assert kept == ([0, 0] if how == "a ballot moved here" else [0, 1])
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("points", "refused"),
    [([3, 6], False), ([4, 6], False), ([5, 6], True), ([0, 10], True), ([-1, 5], True)],
    ids=["below the cap", "at the cap", "above the cap", "a zero point", "a negative point"],
)
async def test_the_guard_holds_a_cumulative_ballot_to_its_points_cap_at_its_edges(
    committing: Budget, committed_database: Database, points: list[int], refused: bool
) -> None:
    # A one-row write is decided by the guard's one-query probe (0018), which sums the points itself.
    rules = {"type": "cumulative", "max_points": 10}
    election_id = int((await create_election(committing, ballot=rules))["id"])
    conn = await _connect(committed_database)
    try:
        cast = conn.execute(UPSERT, election_id, b"\x03" * 32, "citizens", ["A", "B"], points)
        if refused:
            with pytest.raises(asyncpg.RaiseError, match="breaks the ballot rules"):
                await cast
        else:
            await cast
        stored = "SELECT count(*) FROM budget.ballots WHERE election_id = $1"
        assert await conn.fetchval(stored, election_id) == (0 if refused else 1)
    finally:
        await conn.close()
