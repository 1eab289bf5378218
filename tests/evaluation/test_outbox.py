"""Evaluation's outbox in-process: written in the caller's transaction and listed when stuck (staff only).
The relay's claims, dead letters and pruning: test_outbox_relay.py."""

import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.evaluation.outbox.service import enqueue_result_confirmed
from shared.outbox_relay import RelayPolicy, retry_delay
from tests.conftest import ServiceHarness, assert_problem

STUCK = "/evaluation/outbox/stuck"


async def test_an_event_exists_only_if_its_transaction_commits(evaluation_harness: ServiceHarness) -> None:
    async for _, conn in evaluation_harness.client():
        savepoint = await conn.begin_nested()
        rolled_back = await enqueue_result_confirmed(conn, 5, {"category": "미흡"})
        await savepoint.rollback()
        kept = await enqueue_result_confirmed(conn, 5, {"category": "우수"})
        rows = (await conn.execute(text("SELECT id, payload, path FROM evaluation.outbox_events"))).all()
        ids = {row.id for row in rows}
        assert kept in ids and rolled_back not in ids
        (row,) = [row for row in rows if row.id == kept]
        assert (
            row.payload == {"category": "우수", "target_id": 5} and row.path == "/internal/evaluation-results"
        )


async def _add(conn: AsyncConnection, target_id: int, attempts: int) -> uuid.UUID:
    event_id = await enqueue_result_confirmed(conn, target_id, {"n": attempts})
    await conn.execute(
        text("UPDATE evaluation.outbox_events SET attempts = :a, last_error = 'HTTP 503' WHERE id = :id"),
        {"a": attempts, "id": event_id},
    )
    return event_id


@pytest.mark.parametrize("role", ["city_officer", "auditor"])
async def test_stuck_events_are_listed_from_the_given_number_of_failures(
    evaluation_harness: ServiceHarness, auth: Callable[..., dict[str, str]], role: str
) -> None:
    async for client, conn in evaluation_harness.client():
        never, once, twice = [await _add(conn, 900 + n, n) for n in range(3)]

        mine = [str(never), str(once), str(twice)]
        headers = auth(role)
        assert await _listed(client, headers, mine, min_attempts=0) == mine  # oldest first
        assert await _listed(client, headers, mine) == mine[1:]  # default: failed at least once
        assert await _listed(client, headers, mine, min_attempts=2) == mine[2:]
        assert await _listed(client, headers, mine, min_attempts=3) == []


async def _listed(
    client: httpx.AsyncClient, headers: dict[str, str], mine: list[str], **params: int
) -> list[str]:
    """The stuck events among `mine`, in the order listed."""
    response = await client.get(STUCK, params={"limit": 200, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"] if item["id"] in mine]


@pytest.mark.parametrize("role", ["citizen", "evaluator", "secretariat", "agency", "district_officer"])
async def test_only_city_officers_and_auditors_see_the_outbox(
    evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]], role: str
) -> None:
    district = "11110" if role == "district_officer" else None
    assert_problem(await evaluation.get(STUCK, headers=auth(role, district)), 403)
    assert_problem(await evaluation.get(STUCK), 401)


@pytest.mark.parametrize("value", ["-1", "1000001", "x"])
async def test_min_attempts_out_of_range_is_422(
    evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]], value: str
) -> None:
    response = await evaluation.get(STUCK, params={"min_attempts": value}, headers=auth("auditor"))
    assert_problem(response, 422, "query.min_attempts")


def test_retry_delay_doubles_to_its_cap_with_half_jitter() -> None:
    policy = RelayPolicy(backoff_base=0.5, backoff_max=30.0)
    assert [retry_delay(n, policy, lambda: 1.0) for n in (1, 2, 3, 7, 8, 50)] == [
        0.5,
        1.0,
        2.0,
        30.0,
        30.0,
        30.0,
    ]
    assert retry_delay(3, policy, lambda: 0.0) == 1.0
