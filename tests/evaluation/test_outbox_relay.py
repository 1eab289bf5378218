"""The outbox relay against real PostgreSQL, committed for real (a relay claims with its own connections), on
keys no other test uses: leases instead of held locks, per-key order, dead letters and their retry, pruning,
and the NOTIFY that wakes the relay. Budget's side of the wire is a scripted transport."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.evaluation.outbox.service import enqueue_result_confirmed
from services.evaluation.settings import EvaluationSettings
from shared import outbox
from shared.outbox_relay import OutboxRelay, RelayPolicy
from shared.service_auth import ServiceTokens
from shared.service_client import CallPolicy, ServiceClient
from shared.settings import async_url
from shared.telemetry import tracer
from tests.conftest import Database, ServiceHarness, assert_problem
from tests.spans import named, spans

__all__ = ["spans"]

DEAD = "/evaluation/outbox/dead"


@pytest.fixture
async def engine(committed_database: Database) -> AsyncIterator[AsyncEngine]:
    """Committed for real, in the committed database that the evaluation race tests share."""
    engine = create_async_engine(async_url(committed_database.service_urls["evaluation"]), pool_size=4)
    yield engine
    await engine.dispose()


class Budget(httpx.AsyncBaseTransport):
    """Answers each event with its key's scripted status (200 unless told) and notes the keys that came."""

    def __init__(
        self,
        statuses: dict[str, int | tuple[int, str]] | None = None,
        during: Callable[[str], Any] | None = None,
    ) -> None:
        self.statuses = statuses or {}
        self.keys: list[str] = []
        self.ids: list[str] = []
        self.during = during

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.keys.append(body["ordering_key"])
        self.ids.append(body["event_id"])
        if self.during is not None:
            await self.during(body["event_id"])
        status, code = _scripted(self.statuses.get(body["ordering_key"], 200))
        return httpx.Response(status, json={"status": status, "code": code, "detail": "scripted"})


def _scripted(answer: int | tuple[int, str]) -> tuple[int, str]:
    return answer if isinstance(answer, tuple) else (answer, "scripted")


def key() -> int:
    return 1_900_000_000 + uuid.uuid4().int % 200_000_000


@pytest.fixture
async def events(engine: AsyncEngine) -> AsyncIterator[list[uuid.UUID]]:
    """The ids a test writes; deleted afterwards."""
    ids: list[uuid.UUID] = []
    yield ids
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM evaluation.outbox_events WHERE id = ANY(:ids)"), {"ids": ids})


async def write(engine: AsyncEngine, ids: list[uuid.UUID], target: int, count: int = 1) -> list[uuid.UUID]:
    mine = []
    async with engine.begin() as conn:
        for n in range(count):
            mine.append(await enqueue_result_confirmed(conn, target, {"n": n}))
    ids.extend(mine)
    return mine


def relay_for(engine: AsyncEngine, budget: Budget, **policy: Any) -> tuple[OutboxRelay, ServiceClient]:
    client = ServiceClient(
        callee="budget",
        base_url="http://budget",
        tokens=ServiceTokens(EvaluationSettings(), "evaluation"),
        policy=CallPolicy(retries=0),
        transport=budget,
    )
    relay = OutboxRelay(
        engine, schema="evaluation", clients={"budget": client}, policy=RelayPolicy(batch=1000, **policy)
    )
    return relay, client


async def rows(engine: AsyncEngine, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    async with engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT id, status, attempts, last_error, dead_reason, dead_at, delivered_at, locked_until,"
                " next_attempt_at > now() AS later FROM evaluation.outbox_events WHERE id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        return {row.id: row for row in found}


async def test_a_key_waits_for_its_earlier_event_and_a_locked_or_leased_row_is_skipped(
    engine: AsyncEngine, events: list[uuid.UUID]
) -> None:
    a1, a2 = await write(engine, events, key(), 2)
    (b1,) = await write(engine, events, key())
    relay, client = relay_for(engine, Budget())
    try:
        # Another relay is claiming first's head right now: this one skips it, takes b1, never jumps to a2.
        async with engine.connect() as other, other.begin():
            await other.execute(
                text("SELECT 1 FROM evaluation.outbox_events WHERE id = :id FOR UPDATE"), {"id": a1}
            )
            claimed = {event.id for event in await relay.claim()}
            assert b1 in claimed and a1 not in claimed and a2 not in claimed
        # b1 is leased now (to this relay): a second relay does not get it; a1 is free, a2 still waits.
        second, second_client = relay_for(engine, Budget())
        claimed = {event.id for event in await second.claim()}
        assert a1 in claimed and b1 not in claimed and a2 not in claimed
        await second_client.aclose()
        # A lease that ended (its relay died mid-send) is claimed again.
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE evaluation.outbox_events SET locked_until = now() - interval '1 second'"
                    " WHERE id = :id"
                ),
                {"id": b1},
            )
        assert b1 in {event.id for event in await relay.claim()}
    finally:
        await client.aclose()


async def test_no_row_lock_or_transaction_is_held_while_sending(
    engine: AsyncEngine, events: list[uuid.UUID]
) -> None:
    (a1,) = await write(engine, events, key())
    seen: list[Any] = []

    async def during(event_id: str) -> None:
        if uuid.UUID(event_id) != a1:
            return
        async with engine.connect() as other, other.begin():
            await other.execute(text("SET LOCAL lock_timeout = '1ms'"))
            try:
                await other.execute(
                    text("SELECT 1 FROM evaluation.outbox_events WHERE id = :id FOR UPDATE NOWAIT"),
                    {"id": a1},
                )
                seen.append("free")
            except DBAPIError as exc:
                seen.append(exc)
            lease = await other.scalar(
                text("SELECT locked_until > now() FROM evaluation.outbox_events WHERE id = :id"), {"id": a1}
            )
            seen.append(lease)

    relay, client = relay_for(engine, Budget(during=during))
    try:
        while (await rows(engine, [a1]))[a1].status != "delivered":
            await relay.run_once()
    finally:
        await client.aclose()
    assert seen[:2] == ["free", True]  # unlocked, but leased, while budget answers
    row = (await rows(engine, [a1]))[a1]
    assert row.locked_until is None and row.attempts == 1


@pytest.mark.parametrize("status", [400, 404, 410, 413, 415, 422])
async def test_a_permanent_refusal_makes_the_event_dead_and_its_key_waits_behind_it(
    engine: AsyncEngine, events: list[uuid.UUID], status: int
) -> None:
    refused, other = key(), key()
    a1, a2 = await write(engine, events, refused, 2)
    (b1,) = await write(engine, events, other)
    budget = Budget({f"target:{refused}": status})
    relay, client = relay_for(engine, budget, backoff_base=0.001, backoff_max=0.001)
    try:
        for _ in range(3):
            await relay.run_once()
    finally:
        await client.aclose()
    found = await rows(engine, [a1, a2, b1])
    assert found[a1].status == "dead" and found[a1].attempts == 1, "refused once, not retried"
    assert found[a1].dead_reason.startswith(f"HTTP {status}") and found[a1].dead_at is not None
    assert found[a2].status == "pending" and found[a2].attempts == 0, (
        "the later event waits behind the dead one"
    )
    assert str(a2) not in budget.ids and budget.ids.count(str(a1)) == 1
    assert found[b1].status == "delivered", "other keys go on"


@pytest.mark.parametrize("status", [401, 403, 408, 409, 425, 429, 500, 502, 503])
async def test_a_refusal_that_may_pass_is_retried_later(
    engine: AsyncEngine, events: list[uuid.UUID], status: int
) -> None:
    target = key()
    (a1,) = await write(engine, events, target)
    relay, client = relay_for(engine, Budget({f"target:{target}": status}), backoff_base=60, backoff_max=60)
    try:
        await relay.run_once()
    finally:
        await client.aclose()
    row = (await rows(engine, [a1]))[a1]
    assert row.status == "pending" and row.attempts == 1 and row.later and row.locked_until is None
    assert row.last_error.startswith(f"HTTP {status}") and row.dead_reason is None


@pytest.mark.parametrize(
    ("code", "dead"),
    [("grant-already-evaluated", True), ("idempotency-key-in-use", False), ("conflict", False)],
)
async def test_a_conflict_is_dead_only_when_its_code_is_a_permanent_one(
    engine: AsyncEngine, events: list[uuid.UUID], code: str, dead: bool
) -> None:
    target = key()
    (a1,) = await write(engine, events, target)
    budget = Budget({f"target:{target}": (409, code)})
    relay, client = relay_for(
        engine,
        budget,
        backoff_base=60,
        backoff_max=60,
        permanent_conflicts=frozenset({"grant-already-evaluated"}),
    )
    try:
        await relay.run_once()
    finally:
        await client.aclose()
    assert (await rows(engine, [a1]))[a1].status == ("dead" if dead else "pending")


async def _kill(engine: AsyncEngine, event_id: uuid.UUID) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE evaluation.outbox_events SET status = 'dead', dead_at = now(), attempts = 1,"
                " dead_reason = 'HTTP 422: grant unknown' WHERE id = :id"
            ),
            {"id": event_id},
        )


async def test_a_retried_dead_event_is_delivered_before_the_events_that_waited_for_it(
    engine: AsyncEngine, events: list[uuid.UUID]
) -> None:
    target = key()
    a1, a2 = await write(engine, events, target, 2)
    await _kill(engine, a1)
    budget = Budget()
    relay, client = relay_for(engine, budget)
    try:
        await relay.run_once()
        assert str(a1) not in budget.ids and str(a2) not in budget.ids
        async with engine.begin() as conn:
            retried = await outbox.retry_dead(conn, schema="evaluation", event_id=a1)
        assert retried is not None and retried.status == "pending"
        for _ in range(3):
            await relay.run_once()
    finally:
        await client.aclose()
    assert [i for i in budget.ids if i in (str(a1), str(a2))] == [str(a1), str(a2)]
    assert {row.status for row in (await rows(engine, [a1, a2])).values()} == {"delivered"}


async def test_two_retries_at_once_put_the_event_back_once(
    engine: AsyncEngine, events: list[uuid.UUID]
) -> None:
    (a1,) = await write(engine, events, key())
    await _kill(engine, a1)

    async def retry() -> bool:
        async with engine.begin() as conn:
            return await outbox.retry_dead(conn, schema="evaluation", event_id=a1) is not None

    assert sorted(await asyncio.gather(retry(), retry())) == [False, True]


@pytest.mark.parametrize(
    ("age_seconds", "status", "kept"),
    [
        (3600 + 60, "delivered", False),  # just past the retention
        (3600 - 60, "delivered", True),  # just inside it
        (3600 * 24 * 400, "pending", True),  # never delivered: never pruned
        (3600 * 24 * 400, "dead", True),
    ],
)
async def test_delivered_events_are_pruned_after_the_retention(
    engine: AsyncEngine, events: list[uuid.UUID], age_seconds: int, status: str, kept: bool
) -> None:
    (a1,) = await write(engine, events, key())
    columns = {
        "delivered": "delivered_at = now() - make_interval(secs => :age)",
        "pending": "created_at = now() - make_interval(secs => :age)",
        "dead": "dead_at = now() - make_interval(secs => :age), dead_reason = 'HTTP 400'",
    }[status]
    async with engine.begin() as conn:
        await conn.execute(
            text(f"UPDATE evaluation.outbox_events SET status = :status, {columns} WHERE id = :id"),
            {"status": status, "age": age_seconds, "id": a1},
        )
    relay, client = relay_for(engine, Budget(), retention_seconds=3600)
    try:
        await relay.prune()
    finally:
        await client.aclose()
    assert (a1 in await rows(engine, [a1])) is kept


async def test_a_committed_event_wakes_the_listening_relay(
    engine: AsyncEngine, events: list[uuid.UUID]
) -> None:
    relay, client = relay_for(engine, Budget(), poll_seconds=3600)
    wake, stop = asyncio.Event(), asyncio.Event()
    listener = asyncio.create_task(relay.listen(wake, stop))
    try:
        await asyncio.sleep(0.5)  # the listener connects
        wake.clear()
        await write(engine, events, key())
        await asyncio.wait_for(wake.wait(), timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(listener, timeout=30)
        await client.aclose()


@pytest.mark.parametrize("role", ["city_officer", "auditor"])
async def test_dead_events_are_listed_with_their_reason(
    evaluation_harness: ServiceHarness, auth: Callable[..., dict[str, str]], role: str
) -> None:
    async for client, conn in evaluation_harness.client():
        event_id = await enqueue_result_confirmed(conn, key(), {"n": 1})
        alive = await enqueue_result_confirmed(conn, key(), {"n": 1})
        await conn.execute(
            text(
                "UPDATE evaluation.outbox_events SET status = 'dead', dead_reason = 'HTTP 404: 보조금 없음',"
                " dead_at = now(), attempts = 1 WHERE id = :id"
            ),
            {"id": event_id},
        )
        response = await client.get(DEAD, params={"limit": 200}, headers=auth(role))
        assert response.status_code == 200, response.text
        listed = {item["id"]: item for item in response.json()["items"]}
        assert str(alive) not in listed
        assert listed[str(event_id)]["dead_reason"] == "HTTP 404: 보조금 없음"
        assert listed[str(event_id)]["status"] == "dead"
        stuck = await client.get("/evaluation/outbox/stuck", params={"limit": 200}, headers=auth(role))
        assert str(event_id) not in {item["id"] for item in stuck.json()["items"]}


async def test_only_a_city_officer_retries_a_dead_event_and_only_a_dead_one(
    evaluation_harness: ServiceHarness, auth: Callable[..., dict[str, str]]
) -> None:
    async for client, conn in evaluation_harness.client():
        event_id = await enqueue_result_confirmed(conn, key(), {"n": 1})
        await conn.execute(
            text(
                "UPDATE evaluation.outbox_events SET status = 'dead', dead_reason = 'HTTP 400',"
                " dead_at = now(), attempts = 1 WHERE id = :id"
            ),
            {"id": event_id},
        )
        url = f"{DEAD}/{event_id}/retry"
        for role in ("auditor", "evaluator", "citizen", "secretariat", "agency"):
            assert_problem(await client.post(url, headers=auth(role)), 403)
        assert_problem(await client.post(url), 401)
        response = await client.post(url, headers=auth("city_officer"))
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "pending" and response.json()["dead_reason"] is None
        again = assert_problem(await client.post(url, headers=auth("city_officer")), 409, "path.event_id")
        assert again["code"] == "outbox-event-not-dead"
        unknown = await client.post(f"{DEAD}/{uuid.uuid4()}/retry", headers=auth("city_officer"))
        assert assert_problem(unknown, 404, "path.event_id")["code"] == "outbox-event-not-found"
        assert_problem(
            await client.post(f"{DEAD}/x/retry", headers=auth("city_officer")), 422, "path.event_id"
        )


async def test_the_relays_send_is_a_span_with_the_event_id_in_the_trace_that_wrote_it(
    engine: AsyncEngine, events: list[uuid.UUID], spans: InMemorySpanExporter
) -> None:
    with tracer.start_as_current_span("POST /evaluation/targets/1/result/confirm") as confirming:
        (a1,) = await write(engine, events, key())
    relay, client = relay_for(engine, Budget())
    try:
        await relay.run_once()
    finally:
        await client.aclose()
    sends = [
        s
        for s in named(spans.get_finished_spans(), "outbox send")
        if s.attributes["messaging.message.id"] == str(a1)
    ]
    (send,) = sends
    assert send.kind == SpanKind.PRODUCER and send.attributes["outbox.outcome"] == "acknowledged"
    assert send.context.trace_id == confirming.get_span_context().trace_id
    assert send.parent is not None and send.parent.span_id == confirming.get_span_context().span_id
    (call,) = [
        s
        for s in spans.get_finished_spans()
        if s.parent is not None and s.parent.span_id == send.context.span_id
    ]
    assert call.kind == SpanKind.CLIENT and call.attributes["peer.service"] == "budget"


async def test_two_relays_claiming_at_once_never_get_the_same_event(
    engine: AsyncEngine, events: list[uuid.UUID]
) -> None:
    mine = set()
    for _ in range(30):
        mine |= set(await write(engine, events, key()))
    first, first_client = relay_for(engine, Budget())
    second, second_client = relay_for(engine, Budget())
    try:
        for _ in range(5):
            claims = await asyncio.gather(first.claim(), second.claim())
            got = [{event.id for event in claim} & mine for claim in claims]
            assert not got[0] & got[1], "one event leased to two relays"
            mine -= got[0] | got[1]
            if not mine:
                break
    finally:
        await first_client.aclose()
        await second_client.aclose()
    assert not mine, "every due event is claimed by one relay or the other"
