"""Greedy's counts from PostgreSQL equal the engine instance compiled from the ballot groups in Python.

The digest computed in SQL must be byte for byte the one `tally.ballot_digest` computes over the groups (an
outcome is stored and found under it), and the votes, scores and voter count the same, exactly, for approval
and cumulative ballots, decimal points, weighted voter groups and an election without ballots.
"""

import hashlib
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from services.budget.elections import repository
from services.budget.elections.ballot_tally import ballot_tally, read_tally, tally_instance
from services.budget.elections.repository import list_ballot_groups
from services.budget.elections.tally import ProjectInfo, ballot_digest, engine_election
from shared.settings import async_url
from tests.budget.conftest import Auth, Budget
from tests.budget.test_pabulib import PABULIB
from tests.budget.test_pabulib_groups import weighted_election
from tests.conftest import Database, require_shared

POINTS_PB = """META
key;value
description;점수 투표
budget;1000
vote_type;cumulative
max_sum_points;10
rule;greedy
PROJECTS
project_id;cost;name
p1;400;가
p2;300;나
p3;500;다
VOTES
voter_id;vote;points
v1;p1,p2;2.50,7.5
v2;p2,p1;7.50,2.5
v3;p3;10
v4;p1,p3;0.25,9.75
"""

DELETE_ONE = (
    "DELETE FROM budget.ballots WHERE id = (SELECT min(id) FROM budget.ballots WHERE election_id = :id)"
)
EMPTY_PB = POINTS_PB.split("VOTES")[0].replace("cumulative", "approval") + "VOTES\nvoter_id;vote\n"


async def _import(api: Budget, name: str, content: bytes, published: bool = True) -> int:
    """Imports commit here: published, as every imported election the public list shows must be."""
    files = {"file": (name, content, "application/octet-stream")}
    form = {"published": str(published).lower()}
    response = await api.client.post("/budget/elections/import", files=files, data=form, headers=api.city)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _compare(url: str, election_id: int, imported: bool = True) -> dict[str, Any]:
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
            election = await repository.get_election(session, election_id)
            assert election is not None
            projects = [
                ProjectInfo(p.project_id, p.cost) for p in await repository.projects_of(session, election_id)
            ]
            weights = {g.code: g.weight for g in await repository.groups_of(session, election_id)}
            groups = await list_ballot_groups(session, election_id)
            tally = await read_tally(session, election_id)
            kept = await ballot_tally(session, election_id)
            stored = await session.scalar(
                text("SELECT count(*) FROM budget.ballot_tallies WHERE election_id = :id"),
                {"id": election_id},
            )
    finally:
        await engine.dispose()
    assert tally.digest == ballot_digest(groups)
    # An imported election keeps the tally its import counted: the same as counting the stored ballots.
    assert stored == (1 if imported else 0)
    assert (kept.digest, kept.sizes) == (tally.digest, tally.sizes)
    assert sorted(kept.supports) == sorted(tally.supports)
    assert tally.n_ballots == sum(group.count for group in groups)
    budget, ballot_type = election.budget, election.ballot_type
    expected = engine_election(
        budget=budget,
        ballot_type=ballot_type,
        projects=projects,
        groups=groups,
        weights=weights,
        for_mes=False,
    )
    counted = tally_instance(
        budget=budget, ballot_type=ballot_type, projects=projects, tally=tally, weights=weights
    )
    assert counted.votes == expected.votes
    assert counted.scores == expected.scores
    assert [type(s) for s in counted.scores] == [type(s) for s in expected.scores]
    assert counted.n_voters == expected.n_voters
    assert (counted.costs, counted.budget, counted.vote_type) == (
        expected.costs,
        expected.budget,
        expected.vote_type,
    )
    return {"digest": tally.digest, "scores": counted.scores}


@pytest.mark.parametrize("name", ["Poland_Czestochowa_2024.pb", "Poland_Warszawa_2019_Brodno.pb"])
async def test_pabulib_files(committing: Budget, committed_database: Database, name: str) -> None:
    election_id = await _import(committing, name, require_shared(PABULIB / name).read_bytes())
    await _compare(async_url(committed_database.service_urls["budget"]), election_id)


async def test_decimal_points_and_an_empty_election(committing: Budget, committed_database: Database) -> None:
    url = async_url(committed_database.service_urls["budget"])
    points = await _compare(url, await _import(committing, "points.pb", POINTS_PB.encode()))
    assert points["scores"] == (Fraction(21, 4), 15, Fraction(79, 4))  # 2.5+2.5+0.25, 7.5+7.5, 10+9.75
    empty = await _compare(url, await _import(committing, "empty.pb", EMPTY_PB.encode()))
    assert empty["digest"] == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("ballot_type", ["approval", "cumulative"])
async def test_weighted_voter_groups(
    committing: Budget, auth: Auth, committed_database: Database, ballot_type: str
) -> None:
    url = async_url(committed_database.service_urls["budget"])
    election_id = await weighted_election(committing, auth, ballot_type)
    await _compare(url, election_id, imported=False)
    exported = await committing.client.get(
        f"/budget/elections/{election_id}/export.pb", headers=committing.city
    )
    assert exported.status_code == 200, exported.text
    again = await _compare(url, await _import(committing, "groups.pb", exported.content))
    assert again["digest"] == (await _compare(url, election_id, imported=False))["digest"]


async def test_a_change_to_the_ballots_drops_the_kept_tally(
    committing: Budget, committed_database: Database
) -> None:
    url = async_url(committed_database.service_urls["budget"])
    election_id = await _import(committing, "points.pb", POINTS_PB.encode())
    before = await _compare(url, election_id)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(DELETE_ONE),
                {"id": election_id},
            )
    finally:
        await engine.dispose()
    after = await _compare(url, election_id, imported=False)
    assert after["digest"] != before["digest"]
