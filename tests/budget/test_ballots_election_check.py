"""Ballots name an existing election (migration 0012): checked per statement, cascaded from elections."""

import asyncpg
import pytest

from tests.budget.conftest import Budget
from tests.budget.test_ballot_tally import POINTS_PB, _import
from tests.conftest import Database

DIGEST = b"\x01" * 32


async def _connect(database: Database) -> asyncpg.Connection:
    return await asyncpg.connect(
        database.service_urls["budget"].replace("postgresql+asyncpg://", "postgresql://")
    )


async def test_a_ballot_naming_no_election_is_refused(database: Database) -> None:
    conn = await _connect(database)
    try:
        missing = await conn.fetchval("SELECT coalesce(max(id), 0) + 1000 FROM budget.elections")
        with pytest.raises(asyncpg.ForeignKeyViolationError, match=f"election {missing} does not exist"):
            await conn.execute(
                "INSERT INTO budget.ballots (election_id, voter_hash, voter_group, project_ids)"
                " VALUES ($1, $2, 'voters', '{}')",
                missing,
                DIGEST,
            )
    finally:
        await conn.close()


async def test_deleting_an_election_deletes_its_ballots_and_its_id_stays(
    committing: Budget, committed_database: Database
) -> None:
    election_id = await _import(committing, "points.pb", POINTS_PB.encode(), published=False)  # deleted below
    conn = await _connect(committed_database)
    count = "SELECT count(*) FROM budget.ballots WHERE election_id = $1"
    try:
        assert await conn.fetchval(count, election_id) == 4
        tr = conn.transaction()
        await tr.start()
        try:  # without the rows whose own foreign keys would refuse first, the ballots still do
            for table in ("ballot_tallies", "election_projects", "voter_groups"):
                await conn.execute(f"DELETE FROM budget.{table} WHERE election_id = $1", election_id)
            with pytest.raises(asyncpg.ForeignKeyViolationError, match="has ballots: its id cannot change"):
                await conn.execute("UPDATE budget.elections SET id = id + 100000 WHERE id = $1", election_id)
        finally:
            await tr.rollback()
        await conn.execute("DELETE FROM budget.elections WHERE id = $1", election_id)
        assert await conn.fetchval(count, election_id) == 0
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("projects", "group", "refused"),
    [
        ("{p1,p2,p3}", "voters", None),
        ("[0:2]={p1,p2,p3}", "voters", None),  # subscripts from 0: still each project once
        ("{p1,p2,p1}", "voters", "lists a project twice"),
        ("[0:2]={p3,p2,p3}", "voters", "lists a project twice"),
        ("{p1,p9}", "voters", "has no project p9"),
        ("{p1}", "nobody", "has no voter group nobody"),
        # ids of 2,048 bytes and more together: 0016 keeps 0015's query (a lexeme is at most 2,047 bytes)
        ("{LONG,p1}", "voters", None),
        ("{LONG,p1,LONG}", "voters", "lists a project twice"),
        ("{p1,LONG,p1}", "voters", "lists a project twice"),
    ],
)
async def test_the_guard_checks_groups_projects_and_repeats_of_imported_ballots(
    committing: Budget, committed_database: Database, projects: str, group: str, refused: str | None
) -> None:
    """Migrations 0015's and 0016's cheaper queries refuse exactly what 0012's did, whatever the arrays'
    subscripts or the ids' lengths."""
    election_id = await _import(committing, "points.pb", POINTS_PB.encode(), published=False)
    conn = await _connect(committed_database)
    insert = (
        "INSERT INTO budget.ballots (election_id, voter_hash, voter_group, project_ids)"
        " VALUES ($1, $2, $3, $4::text::text[])"
    )
    try:
        async with conn.transaction():  # rolled back below: the import's own checks skip the window
            await conn.execute(
                "UPDATE budget.elections SET accepting_import = true WHERE id = $1", election_id
            )
            await conn.execute(
                "INSERT INTO budget.election_projects (election_id, project_id, position, cost)"
                " VALUES ($1, $2, 1000, 1)",
                election_id,
                LONG_ID,
            )
            projects = projects.replace("LONG", LONG_ID)
            if refused is None:
                await conn.execute(insert, election_id, b"\x02" * 32, group, projects)
            else:
                with pytest.raises(asyncpg.RaiseError, match=refused):
                    await conn.execute(insert, election_id, b"\x02" * 32, group, projects)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        await conn.execute("DELETE FROM budget.elections WHERE id = $1", election_id)  # committed above
        await conn.close()


LONG_ID = "L" * 3000


class _Rollback(Exception):
    pass
