"""Budget's inbox for evaluation's results, in-process: stored once, applied once, bad input a 4xx."""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from services.budget.settings import BudgetSettings
from shared.service_auth import mint_service_token
from tests.conftest import ServiceHarness, assert_problem

URL = "/internal/evaluation-results"


def service() -> dict[str, str]:
    """Evaluation's service token, minted at the call: tokens live minutes, and a module-level one had
    expired whenever the suite took longer than that to reach these tests."""
    token = mint_service_token(BudgetSettings(), caller="evaluation", callee="budget")
    return {"Authorization": f"Bearer {token}"}


def event(**changes: Any) -> dict[str, Any]:
    body = {
        "event_id": str(uuid.uuid4()),
        "event_type": "evaluation.result_confirmed",
        "ordering_key": "target:12",
        "payload": {"target_id": 12, "category": "우수", "score": "87.5"},
        "created_at": "2026-12-02T23:59:59+09:00",
        **changes,
    }
    return {key: value for key, value in body.items() if value is not None}


async def test_an_event_is_applied_once_and_a_repeat_is_a_duplicate(budget_harness: ServiceHarness) -> None:
    async for client, conn in budget_harness.client():
        body = event()
        first = await client.post(URL, json=body, headers=service())
        again = await client.post(URL, json=body, headers={**service(), "Idempotency-Key": body["event_id"]})
        assert (first.status_code, first.json()["duplicate"]) == (200, False), first.text
        assert (again.status_code, again.json()["duplicate"]) == (200, True), again.text
        rows = (
            await conn.execute(
                text("SELECT target_id, payload FROM budget.delivered_results WHERE event_id = :id"),
                {"id": uuid.UUID(body["event_id"])},
            )
        ).all()
        assert [(row.target_id, row.payload["category"]) for row in rows] == [(12, "우수")]  # Korean kept
        stored = await conn.scalar(
            text("SELECT source FROM budget.inbox_events WHERE event_id = :id"),
            {"id": uuid.UUID(body["event_id"])},
        )
        assert stored == "evaluation"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"event_id": "not-a-uuid"}, "body.event_id"),
        ({"event_id": None}, "body.event_id"),
        ({"event_type": "evaluation.something_else"}, "body.event_type"),
        ({"payload": {"category": "우수"}}, "body.payload.target_id"),
        ({"payload": {"target_id": 0}}, "body.payload.target_id"),
        ({"payload": {"target_id": 2**31}}, "body.payload.target_id"),
        ({"ordering_key": ""}, "body.ordering_key"),
        ({"created_at": "2026-12-02T10:00:00"}, "body.created_at"),
        ({"surprise": 1}, "body.surprise"),
    ],
)
async def test_bad_events_are_422_naming_the_field_and_store_nothing(
    budget: httpx.AsyncClient, changes: dict[str, Any], field: str
) -> None:
    assert_problem(await budget.post(URL, json=event(**changes), headers=service()), 422, field)


@pytest.mark.parametrize("target_id", [1, 2**31 - 1])
async def test_target_ids_at_the_edges_are_taken(budget: httpx.AsyncClient, target_id: int) -> None:
    body = event(payload={"target_id": target_id})
    assert (await budget.post(URL, json=body, headers=service())).status_code == 200


async def test_user_tokens_are_refused_and_the_path_is_not_published(
    budget: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    for role in ("admin", "city_officer", "citizen"):
        assert_problem(await budget.post(URL, json=event(), headers=auth(role)), 401)
    assert_problem(await budget.post(URL, json=event()), 401)
    paths = (await budget.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith("/internal")]


async def test_a_service_token_opens_no_public_path(budget: httpx.AsyncClient) -> None:
    body = {"name_ko": "서비스", "fiscal_year": 2030}
    assert_problem(await budget.post("/budget/cycles", json=body, headers=service()), 401)
