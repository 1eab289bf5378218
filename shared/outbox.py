"""Transactional outbox: an event is written in the transaction of the change that caused it, and a relay
delivers it until the receiver acknowledges it.

Each service that sends keeps a `<schema>.outbox_events` table (its migration: evaluation 0007).
`enqueue` inserts a row through the caller's own connection or session, so the event exists exactly when the
change commits. The relay (an asyncio task in the sender's lifespan) claims due rows with
`SELECT … FOR UPDATE SKIP LOCKED` and keeps them locked while it sends: two replicas never send the same
row at once, and a relay killed mid-send leaves its rows undelivered (PostgreSQL rolls its transaction
back) for the next relay to send again. The receiver applies each event id once (shared/inbox.py), so a
second send is harmless; the event id travels as the Idempotency-Key.

Order per key: a row is claimed only when no earlier undelivered row of the same `ordering_key` exists, so a
later event of a key waits for the earlier one however often that one fails. A failed send is retried with
exponential backoff and jitter (`next_attempt_at`), its `attempts` and `last_error` stored.
"""

import asyncio
import json
import logging
import random
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from shared.service_client import CalleeUnavailable, ServiceClient
from shared.tracecontext import new_trace_id, trace_id_var

logger = logging.getLogger("shared.outbox")
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]*$")
_ERROR_CHARS = 500


@dataclass(frozen=True)
class OutboxEvent:
    id: uuid.UUID
    seq: int
    destination: str
    path: str
    ordering_key: str
    event_type: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    trace_id: str | None = None

    def body(self) -> dict[str, Any]:
        """What the receiver gets."""
        return {
            "event_id": str(self.id),
            "event_type": self.event_type,
            "ordering_key": self.ordering_key,
            "payload": self.payload,
            "created_at": self.created_at.isoformat(),
        }


def _table(schema: str) -> str:
    if not _SCHEMA.match(schema):
        raise ValueError(f"not a schema name: {schema!r}")
    return f"{schema}.outbox_events"


async def enqueue(
    conn: AsyncConnection | AsyncSession,
    *,
    schema: str,
    destination: str,
    path: str,
    ordering_key: str,
    event_type: str,
    payload: Mapping[str, Any],
) -> uuid.UUID:
    """Write an event in the caller's transaction; it is sent once that transaction commits."""
    event_id = uuid.uuid4()
    await conn.execute(
        text(
            f"INSERT INTO {_table(schema)}"
            " (id, destination, path, ordering_key, event_type, payload, trace_id) "
            "VALUES (:id, :destination, :path, :key, :type, CAST(:payload AS jsonb), :trace)"
        ),
        {
            "id": event_id,
            "destination": destination,
            "path": path,
            "key": ordering_key,
            "type": event_type,
            "payload": json.dumps(payload, ensure_ascii=False),
            "trace": trace_id_var.get(),
        },
    )
    return event_id


@dataclass(frozen=True)
class RelayPolicy:
    poll_seconds: float = 0.2
    batch: int = 20
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    send_timeout: float = 5.0


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
        self.table = _table(schema)
        self.clients = clients
        self.policy = policy
        self.metrics = metrics

    async def run_once(self) -> int:
        """Claim one batch of due rows, send them (each key at most once per batch), record the results."""
        async with self.engine.connect() as conn, conn.begin():
            rows = (
                (await conn.execute(text(self._claim_sql()), {"batch": self.policy.batch})).mappings().all()
            )
            events = [OutboxEvent(**row) for row in rows]
            results = await asyncio.gather(*(self._send(event) for event in events))
            for event, error in zip(events, results, strict=True):
                await self._record(conn, event, error)
        await self.measure()
        return len(events)

    def _claim_sql(self) -> str:
        return (
            "SELECT e.id, e.seq, e.destination, e.path, e.ordering_key, e.event_type, e.payload, e.attempts,"
            f" e.created_at, e.trace_id FROM {self.table} e"
            " WHERE e.delivered_at IS NULL AND e.next_attempt_at <= now()"
            f" AND NOT EXISTS (SELECT 1 FROM {self.table} p WHERE p.ordering_key = e.ordering_key"
            " AND p.delivered_at IS NULL AND p.seq < e.seq)"
            " ORDER BY e.seq LIMIT :batch FOR UPDATE SKIP LOCKED"
        )

    async def _send(self, event: OutboxEvent) -> str | None:
        """None when acknowledged (2xx), else what went wrong."""
        client = self.clients.get(event.destination)
        if client is None:
            return f"no client for destination {event.destination}"
        token = trace_id_var.set(event.trace_id or new_trace_id())
        try:
            response = await client.post(
                event.path,
                json=event.body(),
                idempotency_key=str(event.id),
                service_token=True,
                timeout=self.policy.send_timeout,
            )
        except CalleeUnavailable as exc:
            return str(exc)
        finally:
            trace_id_var.reset(token)
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}: {response.text[:_ERROR_CHARS]}"

    async def _record(self, conn: AsyncConnection, event: OutboxEvent, error: str | None) -> None:
        if error is None:
            await conn.execute(
                text(
                    f"UPDATE {self.table} SET delivered_at = now(), attempts = attempts + 1,"
                    " last_attempt_at = now() WHERE id = :id"
                ),
                {"id": event.id},
            )
        else:
            logger.warning("outbox event %s to %s not acknowledged: %s", event.id, event.destination, error)
            await conn.execute(
                text(
                    f"UPDATE {self.table} SET attempts = attempts + 1, last_attempt_at = now(),"
                    " last_error = :error, next_attempt_at = now() + make_interval(secs => :delay)"
                    " WHERE id = :id"
                ),
                {
                    "id": event.id,
                    "error": error[:_ERROR_CHARS],
                    "delay": retry_delay(event.attempts + 1, self.policy),
                },
            )
        if self.metrics is not None:
            self.metrics.sends.labels(
                self.metrics.schema, "acknowledged" if error is None else "failed"
            ).inc()

    async def measure(self) -> None:
        if self.metrics is None:
            return
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT count(*) AS backlog,"
                        " coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age"
                        f" FROM {self.table} WHERE delivered_at IS NULL"
                    )
                )
            ).one()
        self.metrics.backlog.set(row.backlog)
        self.metrics.oldest_age.set(float(row.age))

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: send what is due; when nothing was, wait a poll interval (or for `stop`)."""
        while not stop.is_set():
            try:
                sent = await self.run_once()
            except Exception:
                logger.exception("outbox relay pass failed; trying again")
                sent = 0
            if sent == 0:
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.policy.poll_seconds)


@asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[None]:
    """Run the relay in the background for the duration of the block."""
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop), name=f"outbox-relay {relay.table}")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=10)
        except TimeoutError:
            task.cancel()


@dataclass(frozen=True)
class StuckEvent:
    id: uuid.UUID
    seq: int
    destination: str
    ordering_key: str
    event_type: str
    attempts: int
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime


async def list_stuck(
    conn: AsyncConnection | AsyncSession, *, schema: str, min_attempts: int, after_seq: int | None, limit: int
) -> Sequence[StuckEvent]:
    """Undelivered events that failed at least `min_attempts` times, oldest first."""
    rows = (
        await conn.execute(
            text(
                "SELECT id, seq, destination, ordering_key, event_type, attempts, last_error, created_at,"
                f" last_attempt_at, next_attempt_at FROM {_table(schema)}"
                " WHERE delivered_at IS NULL AND attempts >= :min AND seq > :after ORDER BY seq LIMIT :limit"
            ),
            {"min": min_attempts, "after": after_seq or 0, "limit": limit},
        )
    ).mappings()
    return [StuckEvent(**row) for row in rows]
