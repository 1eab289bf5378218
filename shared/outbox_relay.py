"""The outbox relay: delivers a schema's outbox rows (shared/outbox.py) until acknowledged or refused.

Claims are leases. A pass claims due rows in one short transaction (`FOR UPDATE SKIP LOCKED`, then
`locked_until = now() + lease`, `locked_by = this relay`) and commits; it sends with no transaction or row
lock open, then records each outcome in a second short transaction. Two relays never send a row at once
(a leased row is skipped until its lease ends); a relay killed mid-send leaves a lease that expires, and the
row is sent again: the receiver's inbox makes that harmless. The lease outlasts the send timeout, so a live
relay's lease does not end while it waits for an answer.

Order per key: a row is claimed only when no earlier undelivered row (pending or dead) of its `ordering_key`
exists. A failed send is retried with exponential backoff and jitter; a permanent refusal (400, 404, 410,
413, 415, 422, or a 409 whose problem code the policy names: the same event would be refused again) marks
the row dead with its reason. Delivered rows
are deleted once older than the retention. `enqueue`'s NOTIFY wakes the relay; the poll is the fallback.
"""

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import httpx
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.background import in_background
from shared.outbox import ERROR_CHARS, OutboxEvent, channel, table
from shared.service_client import CalleeUnavailable, ServiceClient
from shared.telemetry import tracer
from shared.tracecontext import remote_parent

logger = logging.getLogger("shared.outbox")

PERMANENT_REFUSALS = frozenset({400, 404, 410, 413, 415, 422})
"""Answers that another attempt of the same event cannot change. 401/403 (a token or clock problem of the
services, not of the event), 408, 425, 429 and 5xx are retried, and so is a 409 unless its problem code is
one of the policy's `permanent_conflicts` (an Idempotency-Key still in use is a 409 that passes)."""


@dataclass(frozen=True)
class RelayPolicy:
    poll_seconds: float = 0.2
    batch: int = 20
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    send_timeout: float = 5.0
    lease_margin: float = 5.0
    retention_seconds: float = 30 * 24 * 3600.0
    prune_every_seconds: float = 60.0
    listen: bool = True
    """Wake on `enqueue`'s NOTIFY; off, the relay only polls (every `poll_seconds`)."""
    permanent_conflicts: frozenset[str] = frozenset()
    """Problem `code`s of 409 answers that are permanent (the receiver's rules); other 409s are retried."""

    @property
    def lease_seconds(self) -> float:
        """How long a claim keeps other relays off a row: the send's timeout and a margin."""
        return self.send_timeout + self.lease_margin


@dataclass(frozen=True)
class Outcome:
    error: str | None = None
    permanent: bool = False


ACKNOWLEDGED = Outcome()


def _label(outcome: Outcome) -> str:
    return "acknowledged" if outcome.error is None else "dead" if outcome.permanent else "failed"


def retry_delay(attempts: int, policy: RelayPolicy, rand: Callable[[], float] = random.random) -> float:
    """Seconds before the next attempt after `attempts` failed ones: exponential, capped, half jittered."""
    ceiling = min(policy.backoff_max, policy.backoff_base * 2 ** min(attempts - 1, 30))
    return ceiling * (0.5 + rand() / 2)


class RelayMetrics:
    def __init__(self, registry: CollectorRegistry, schema: str) -> None:
        self.backlog = Gauge(
            "outbox_backlog_events", "Outbox events not yet acknowledged", ["schema"], registry=registry
        ).labels(schema)
        self.oldest_age = Gauge(
            "outbox_oldest_event_age_seconds",
            "Age of the oldest outbox event not yet acknowledged (0 when none)",
            ["schema"],
            registry=registry,
        ).labels(schema)
        self.dead = Gauge(
            "outbox_dead_events",
            "Outbox events refused for good, waiting for a retry",
            ["schema"],
            registry=registry,
        ).labels(schema)
        self.sends = Counter(
            "outbox_sends_total", "Outbox sends by outcome", ["schema", "outcome"], registry=registry
        )
        self.schema = schema


class OutboxRelay:
    """Delivers one schema's outbox rows through one client per destination."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        schema: str,
        clients: Mapping[str, ServiceClient],
        policy: RelayPolicy,
        metrics: RelayMetrics | None = None,
    ) -> None:
        self.engine = engine
        self.table = table(schema)
        self.channel = channel(schema)
        self.clients = clients
        self.policy = policy
        self.metrics = metrics
        self.relay_id = uuid.uuid4()
        self._pruned_at: float | None = None

    async def run_once(self) -> int:
        """Claim one batch of due rows (each key at most once), send them, record the outcomes."""
        events = await self.claim()
        if events:
            outcomes = await asyncio.gather(*(self._send(event) for event in events))
            async with self.engine.begin() as conn:
                for event, outcome in zip(events, outcomes, strict=True):
                    await self._record(conn, event, outcome)
        await self._prune_when_due()
        await self.measure()
        return len(events)

    async def claim(self) -> list[OutboxEvent]:
        """Lease due rows to this relay, in a transaction that ends before anything is sent."""
        async with self.engine.begin() as conn:
            rows = (
                (
                    await conn.execute(
                        text(self._claim_sql()),
                        {
                            "batch": self.policy.batch,
                            "lease": self.policy.lease_seconds,
                            "relay": self.relay_id,
                        },
                    )
                )
                .mappings()
                .all()
            )
        return sorted((OutboxEvent(**row) for row in rows), key=lambda event: event.seq)

    def _claim_sql(self) -> str:
        return (
            f"UPDATE {self.table} SET locked_until = now() + make_interval(secs => :lease),"
            " locked_by = :relay"
            f" WHERE id IN (SELECT e.id FROM {self.table} e"
            " WHERE e.status = 'pending' AND e.next_attempt_at <= now()"
            " AND (e.locked_until IS NULL OR e.locked_until <= now())"
            f" AND NOT EXISTS (SELECT 1 FROM {self.table} p WHERE p.ordering_key = e.ordering_key"
            " AND p.delivered_at IS NULL AND p.seq < e.seq)"
            " ORDER BY e.seq LIMIT :batch FOR UPDATE SKIP LOCKED)"
            " RETURNING id, seq, destination, path, ordering_key, event_type, payload, attempts, created_at,"
            " trace_id, span_id"
        )

    async def _send(self, event: OutboxEvent) -> Outcome:
        client = self.clients.get(event.destination)
        if client is None:
            return Outcome(f"no client for destination {event.destination}")
        attributes: dict[str, str | int] = {
            "messaging.system": "outbox",
            "messaging.message.id": str(event.id),
            "messaging.destination.name": event.destination,
            "outbox.event_type": event.event_type,
            "outbox.ordering_key": event.ordering_key,
            "outbox.attempt": event.attempts + 1,
        }
        # A child of the span that wrote the event: the confirmation and its delivery are one trace.
        with tracer.start_as_current_span(
            "outbox send",
            context=remote_parent(event.trace_id, event.span_id),
            kind=SpanKind.PRODUCER,
            attributes=attributes,
        ) as span:
            outcome = await self._post(client, event)
            span.set_attribute("outbox.outcome", _label(outcome))
            if outcome.error is not None:
                span.set_status(StatusCode.ERROR, outcome.error[:200])
            return outcome

    async def _post(self, client: ServiceClient, event: OutboxEvent) -> Outcome:
        try:
            response = await client.post(
                event.path,
                json=event.body(),
                idempotency_key=str(event.id),
                service_token=True,
                timeout=self.policy.send_timeout,
            )
        except CalleeUnavailable as exc:
            return Outcome(str(exc))
        except Exception as exc:  # a bug or a misconfiguration: recorded on the row, retried with backoff
            logger.exception("outbox event %s could not be sent", event.id)
            return Outcome(f"{type(exc).__name__}: {exc}")
        if 200 <= response.status_code < 300:
            return ACKNOWLEDGED
        error = f"HTTP {response.status_code}: {response.text[:ERROR_CHARS]}"
        return Outcome(error, permanent=self._permanent(response))

    def _permanent(self, response: httpx.Response) -> bool:
        if response.status_code in PERMANENT_REFUSALS:
            return True
        if response.status_code != 409 or not self.policy.permanent_conflicts:
            return False
        try:
            code = response.json().get("code")
        except ValueError:
            return False
        return code in self.policy.permanent_conflicts

    async def _record(self, conn: AsyncConnection, event: OutboxEvent, outcome: Outcome) -> None:
        params: dict[str, Any] = {"id": event.id, "relay": self.relay_id}
        if outcome.error is None:
            # Acknowledged is delivered, even when this relay's lease ended meanwhile.
            sql = (
                "SET status = 'delivered', delivered_at = now(), attempts = attempts + 1,"
                " last_attempt_at = now(), locked_until = NULL, locked_by = NULL"
                " WHERE id = :id AND status = 'pending'"
            )
        elif outcome.permanent:
            logger.error(
                "outbox event %s to %s refused for good: %s", event.id, event.destination, outcome.error
            )
            sql = (
                "SET status = 'dead', dead_reason = :error, dead_at = now(), last_error = :error,"
                " attempts = attempts + 1, last_attempt_at = now(), locked_until = NULL, locked_by = NULL"
                " WHERE id = :id AND status = 'pending' AND locked_by = :relay"
            )
            params["error"] = outcome.error[:ERROR_CHARS]
        else:
            logger.warning(
                "outbox event %s to %s not acknowledged: %s", event.id, event.destination, outcome.error
            )
            sql = (
                "SET attempts = attempts + 1, last_attempt_at = now(), last_error = :error,"
                " next_attempt_at = now() + make_interval(secs => :delay),"
                " locked_until = NULL, locked_by = NULL"
                " WHERE id = :id AND status = 'pending' AND locked_by = :relay"
            )
            params["error"] = outcome.error[:ERROR_CHARS]
            params["delay"] = retry_delay(event.attempts + 1, self.policy)
        await conn.execute(text(f"UPDATE {self.table} {sql}"), params)
        if self.metrics is not None:
            self.metrics.sends.labels(self.metrics.schema, _label(outcome)).inc()

    async def prune(self) -> int:
        """Delete delivered rows older than the retention (a bounded batch); how many went."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                text(
                    f"DELETE FROM {self.table} WHERE id IN (SELECT id FROM {self.table}"
                    " WHERE status = 'delivered' AND delivered_at < now() - make_interval(secs => :keep)"
                    " LIMIT 1000)"
                ),
                {"keep": self.policy.retention_seconds},
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def _prune_when_due(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._pruned_at is not None and now - self._pruned_at < self.policy.prune_every_seconds:
            return
        self._pruned_at = now
        pruned = await self.prune()
        if pruned:
            logger.info("pruned %d delivered outbox events older than the retention", pruned)

    async def measure(self) -> None:
        if self.metrics is None:
            return
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT count(*) AS backlog, count(*) FILTER (WHERE status = 'dead') AS dead,"
                        " coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age"
                        f" FROM {self.table} WHERE delivered_at IS NULL"
                    )
                )
            ).one()
        self.metrics.backlog.set(row.backlog)
        self.metrics.dead.set(row.dead)
        self.metrics.oldest_age.set(float(row.age))

    async def listen(self, wake: asyncio.Event, stop: asyncio.Event) -> None:
        """Set `wake` on each NOTIFY of the schema's channel; reconnect when the connection is lost."""
        while not stop.is_set():
            lost = asyncio.Event()
            try:
                async with self.engine.connect() as conn:
                    driver: Any = (await conn.get_raw_connection()).driver_connection
                    driver.add_termination_listener(lambda *_, lost=lost: lost.set())
                    await driver.add_listener(self.channel, lambda *_: wake.set())
                    try:
                        await _first(stop, lost)
                    finally:
                        # A connection that LISTENs never goes back to the pool.
                        with suppress(Exception):
                            await conn.invalidate()
            except Exception:
                logger.warning(
                    "outbox relay cannot listen for new events; polling only for now", exc_info=True
                )
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: send what is due; when nothing was, wait for a NOTIFY, a poll interval or `stop`."""
        wake = asyncio.Event()
        listener = asyncio.create_task(
            self.listen(wake, stop) if self.policy.listen else stop.wait(), name=f"outbox-listen {self.table}"
        )
        try:
            while not stop.is_set():
                wake.clear()
                try:
                    sent = await self.run_once()
                except Exception:
                    logger.exception("outbox relay pass failed; trying again")
                    sent = 0
                if sent == 0:
                    with suppress(TimeoutError):
                        await asyncio.wait_for(_first(stop, wake), timeout=self.policy.poll_seconds)
        finally:
            listener.cancel()
            with suppress(asyncio.CancelledError):
                await listener


async def _first(*events: asyncio.Event) -> None:
    """Wait until any of `events` is set."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


@asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[None]:
    """Run the relay in the background for the duration of the block."""
    async with in_background(relay.run, f"outbox-relay {relay.table}"):
        yield
