"""Confirmed evaluation results of platform grants: keyed by event_id, stored once and applied once."""

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text

from services.budget.grants.evaluation import apply_evaluation_result
from services.budget.settings import BudgetSettings
from shared.auth import Identity, Role
from shared.service_auth import mint_service_token
from tests.budget.conftest import Auth, Budget
from tests.budget.money import M, application, assign, awarded_platform, platform_policy, set_policy
from tests.clock import Clock
from tests.conftest import assert_problem

CONFIRMED = "2017-10-28T18:00:00+09:00"
CITY = Identity(subject="evaluation-delivery", role=Role.city_officer)


@pytest.fixture
def api(pinned: Clock, budget: httpx.AsyncClient, auth: Auth) -> Budget:
    return Budget(budget, auth)


async def platform_grant(api: Budget, year: int = 2017, district: str | None = None) -> dict[str, Any]:
    await set_policy(api, year, "civic_platform", platform_policy(year))
    if district is None:
        await assign(api, "separate", year=year)
        return await awarded_platform(api, 50 * M, year=year)
    await assign(api, "separate", year=year, district=district)
    officer = api.auth("district_officer", district, subject=f"officer-{district}")
    body = {
        **application("civic_platform", fiscal_year=year, amount_krw=50 * M, district_share_krw=0),
        "district_code": district,
    }
    grant = await api.ok("POST", "/budget/grants", officer, json=body)
    result: dict[str, Any] = await api.ok("POST", f"/budget/grants/{grant['id']}/award", api.city)
    return result


def result(grant: dict[str, Any], category: str = "increase", event_id: UUID | None = None) -> dict[str, Any]:
    return {
        "event_id": str(event_id or uuid4()),
        "grant_id": grant["id"],
        "cycle_year": grant["fiscal_year"],
        "category": category,
        "confirmed_at": CONFIRMED,
    }


async def test_the_same_event_twice_is_stored_once_and_applied_once(api: Budget) -> None:
    grant = await platform_grant(api)
    event_id = uuid4()
    args = {
        "event_id": event_id,
        "grant_id": grant["id"],
        "cycle_year": 2017,
        "category": "reduce",
        "confirmed_at": datetime.fromisoformat(CONFIRMED),
        "actor": CITY,
    }
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with app.state.sessionmaker() as session:
        first = await apply_evaluation_result(session, **args)
        second = await apply_evaluation_result(session, **args)
        assert first.created and not second.created and first.id == second.id
        rows = await session.execute(
            text("SELECT count(*) FROM budget.evaluation_results WHERE event_id = :e"), {"e": event_id}
        )
        assert rows.scalar_one() == 1
        applied = await session.execute(
            text(
                "SELECT count(*) FROM budget.history WHERE table_name = 'grants' AND record_id = :id"
                " AND after ->> 'evaluation_result_id' IS NOT NULL"
                " AND before ->> 'evaluation_result_id' IS NULL"
            ),
            {"id": str(grant["id"])},
        )
        assert applied.scalar_one() == 1  # set on its grant once
        await session.commit()
    read = await api.ok("GET", f"/budget/grants/{grant['id']}", api.city)
    assert read["evaluation_result_id"] == first.id


async def test_the_endpoint_replays_and_refuses_what_conflicts(api: Budget) -> None:
    grant = await platform_grant(api)
    body = result(grant)
    stored = await api.ok("POST", "/budget/evaluation-results", api.city, json=body)
    assert stored["created"] is True and stored["category"] == "increase"
    assert stored["confirmed_at"] == CONFIRMED
    replay = await api.ok("POST", "/budget/evaluation-results", api.city, json=body)
    assert replay == {**stored, "created": False}
    reused = await api.client.post(
        "/budget/evaluation-results", json={**body, "category": "stop"}, headers=api.city
    )
    assert assert_problem(reused, 409, "body.event_id")["code"] == "event-id-reused"
    second = await api.client.post("/budget/evaluation-results", json=result(grant, "stop"), headers=api.city)
    assert assert_problem(second, 409, "body.grant_id")["code"] == "grant-already-evaluated"


async def test_bad_results_name_the_field(api: Budget) -> None:
    grant = await platform_grant(api)
    url = "/budget/evaluation-results"
    cases = [
        ({"event_id": "not-a-uuid"}, 422, "body.event_id"),
        ({"confirmed_at": "2017-10-28T18:00:00"}, 422, "body.confirmed_at"),  # no offset
        ({"confirmed_at": "0001-01-01T00:00:00+09:00"}, 422, "body.confirmed_at"),  # no UTC form
        ({"confirmed_at": "1999-12-31T23:59:59+09:00"}, 422, "body.confirmed_at"),
        ({"category": "abolish"}, 422, "body.category"),
        ({"grant_id": grant["id"] + 1000}, 404, "body.grant_id"),
        ({"cycle_year": 2018}, 422, "body.cycle_year"),
    ]
    for change, status, field in cases:
        assert_problem(
            await api.client.post(url, json={**result(grant), **change}, headers=api.city), status, field
        )
    assert_problem(await api.client.post(url, json=result(grant), headers=api.officer), 403)
    assert_problem(await api.client.post(url, json=result(grant)), 401)


async def test_racing_deliveries_of_one_event_store_it_once(pinned: Clock, committing: Budget) -> None:
    api = committing
    grant = await platform_grant(api, year=2041, district="11170")
    body = result(grant, "continue")
    responses = await asyncio.gather(
        *(api.client.post("/budget/evaluation-results", json=body, headers=api.city) for _ in range(8))
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert sorted(r.json()["created"] for r in responses) == [False] * 7 + [True]
    assert len({r.json()["id"] for r in responses}) == 1
    history = await api.ok(
        "GET",
        "/budget/history",
        api.auth("auditor"),
        params={"table": "evaluation_results", "record_id": str(responses[0].json()["id"])},
    )
    assert len(history["items"]) == 1


async def test_a_result_delivered_through_the_inbox_is_applied_to_its_grant_once(api: Budget) -> None:
    """Evaluation's outbox delivers a confirmed result: recorded, then applied to its grant."""
    grant = await platform_grant(api)
    payload = {
        "target_id": 7,
        "grant_id": grant["id"],
        "cycle_year": 2017,
        "category": "increase",
        "confirmed_at": CONFIRMED,
        "review_version": 1,
        "total": "91.00",
    }
    body = {
        "event_id": str(uuid4()),
        "event_type": "evaluation.result_confirmed",
        "ordering_key": "target:7",
        "payload": payload,
        "created_at": CONFIRMED,
    }
    token = mint_service_token(BudgetSettings(), caller="evaluation", callee="budget")
    for duplicate in (False, True):
        response = await api.client.post(
            "/internal/evaluation-results", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert (response.status_code, response.json()["duplicate"]) == (200, duplicate), response.text
    read = await api.ok("GET", f"/budget/grants/{grant['id']}", api.city)
    assert read["evaluation_result_id"] is not None
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            text("SELECT category, recorded_by FROM budget.evaluation_results WHERE event_id = :e"),
            {"e": UUID(body["event_id"])},
        )
        assert [tuple(row) for row in rows] == [("increase", "service:evaluation")]
