"""Voting through the gateway against real processes: ballots, a racing voter, closing, outcome, export."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import assert_problem
from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e

PROJECTS = [
    {"project_id": "P1", "name": "마을 도서관", "cost_krw": 600_000},
    {"project_id": "P2", "name": "공원 벤치", "cost_krw": 500_000},
    {"project_id": "P3", "name": "놀이터", "cost_krw": 300_000},
]


def open_election(gateway: httpx.Client, city: dict[str, str]) -> int:
    now = datetime.now(UTC)
    body = {
        "name_ko": "관악구 주민투표 (e2e)",
        "budget_krw": 1_000_000,
        "projects": PROJECTS,
        "opens_at": (now - timedelta(minutes=5)).isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
        "ballot": {"type": "approval", "max_length": 2},
    }
    response = gateway.post("/budget/elections", json=body, headers=city)
    assert response.status_code == 201, response.text
    election_id: int = response.json()["id"]
    return election_id


async def test_racing_ballots_through_the_gateway_leave_one_per_voter(
    system: System, auth: Callable[..., dict[str, str]]
) -> None:
    city = auth("city_officer")
    with httpx.Client(base_url=system.gateway, timeout=30) as gateway:
        election_id = open_election(gateway, city)
    racer = auth("citizen", subject="racer")
    choices = [["P1"], ["P2"], ["P3"], ["P1", "P3"], ["P2", "P3"]] * 4
    async with httpx.AsyncClient(base_url=system.gateway, timeout=30) as client:
        url = f"/budget/elections/{election_id}/ballot"
        responses = await asyncio.gather(
            *(client.put(url, json={"project_ids": c}, headers=racer) for c in choices)
        )
        assert all(r.status_code == 200 for r in responses), [
            r.text for r in responses if r.status_code != 200
        ]
        revisions = sorted(r.json()["revision"] for r in responses)
        assert revisions == list(range(1, len(choices) + 1))
        mine = (await client.get(url, headers=racer)).json()
        final = max(responses, key=lambda r: r.json()["revision"]).json()
        assert mine["project_ids"] == final["project_ids"] and mine["revision"] == len(choices)
        for i in range(4):
            voter = auth("citizen", subject=f"voter-{i}")
            assert (await client.put(url, json={"project_ids": ["P3"]}, headers=voter)).status_code == 200
        bad = await client.put(url, json={"project_ids": ["P1", "P2", "P3"]}, headers=racer)
        assert_problem(bad, 422, field="body.project_ids")
        unknown = await client.put(url, json={"project_ids": ["P9"]}, headers=racer)
        assert_problem(unknown, 422, field="body.project_ids")
        assert_problem(await client.put(url, json={"project_ids": ["P1"]}), 401)

        assert (await client.post(f"/budget/elections/{election_id}/close", headers=city)).status_code == 200
        closed = await client.put(url, json={"project_ids": ["P1"]}, headers=racer)
        assert_problem(closed, 409)
        outcome = (
            await client.get(f"/budget/elections/{election_id}/outcome?rule=greedy", headers=city)
        ).json()
        assert outcome["n_ballots"] == 5
        assert "P3" in outcome["selected"]
        exported = await client.get(f"/budget/elections/{election_id}/export.pb", headers=city)
        assert exported.status_code == 200 and "마을 도서관" in exported.text
        assert "racer" not in exported.text
