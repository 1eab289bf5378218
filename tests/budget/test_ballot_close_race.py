"""Ballots racing the close of their election: the one-statement cast against the close's row lock."""

import asyncio
from typing import Any

import asyncpg

from shared.settings import plain_url
from tests.budget.conftest import Auth, Budget, create_election
from tests.conftest import Database, assert_problem


async def test_ballots_racing_a_close_are_each_stored_or_refused_as_closed(
    committing: Budget, auth: Auth, committed_database: Database
) -> None:
    api = committing
    eid = (await create_election(api, ballot={"type": "approval", "max_length": 3}))["id"]
    url = f"/budget/elections/{eid}/ballot"
    voters = [auth("citizen", subject=f"closing-race-{i}") for i in range(30)]

    async def close() -> Any:
        await asyncio.sleep(0.01)
        return await api.client.post(f"/budget/elections/{eid}/close", headers=api.city)

    *ballots, closed = await asyncio.gather(
        *(api.client.put(url, json={"project_ids": ["A"]}, headers=v) for v in voters), close()
    )
    assert closed.status_code == 200, closed.text
    accepted = [r for r in ballots if r.status_code == 200]
    for refused in (r for r in ballots if r.status_code != 200):
        assert assert_problem(refused, 409)["code"] == "election-closed", refused.text
    conn = await asyncpg.connect(plain_url(committed_database.service_urls["budget"]))
    try:
        stored = await conn.fetchval("SELECT count(*) FROM ballots WHERE election_id = $1", eid)
    finally:
        await conn.close()
    assert stored == len(accepted)
    late = await api.client.put(url, json={"project_ids": ["B"]}, headers=voters[0])
    assert assert_problem(late, 409)["code"] == "election-closed"
