"""Transactional outbox: an event is written in the transaction of the change that caused it, and a relay
(shared/outbox_relay.py) delivers it until the receiver acknowledges it or refuses it for good.

Each service that sends keeps a `<schema>.outbox_events` table (its migrations: evaluation 0007, 0008).
`enqueue` inserts a row through the caller's own connection or session, so the event exists exactly when the
change commits, and notifies the relay (`NOTIFY <schema>_outbox`, delivered at commit) so it need not wait
for its next poll. The receiver applies each event id once (shared/inbox.py); the id is the Idempotency-Key.

A row is `pending`, then `delivered`, or `dead` when the receiver refused it permanently (a 4xx another
attempt cannot change). A dead event stays undelivered and so still blocks the later events of its
`ordering_key`: per-key order holds over a refusal too, and a city officer's retry (`retry_dead`) puts it
back to pending once its cause is fixed. This module also has the operators' reads: stuck and dead events.
"""

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.tracecontext import current_ids

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]*$")
ERROR_CHARS = 500


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
    span_id: str | None = None

    def body(self) -> dict[str, Any]:
        """What the receiver gets."""
        return {
            "event_id": str(self.id),
            "event_type": self.event_type,
            "ordering_key": self.ordering_key,
            "payload": self.payload,
            "created_at": self.created_at.isoformat(),
        }


def table(schema: str) -> str:
    if not _SCHEMA.match(schema):
        raise ValueError(f"not a schema name: {schema!r}")
    return f"{schema}.outbox_events"


def channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel on which `enqueue` wakes the schema's relay."""
    if not _SCHEMA.match(schema):
        raise ValueError(f"not a schema name: {schema!r}")
    return f"{schema}_outbox"


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
    ids = current_ids()
    await conn.execute(
        text(
            f"INSERT INTO {table(schema)}"
            " (id, destination, path, ordering_key, event_type, payload, trace_id, span_id) "
            "VALUES (:id, :destination, :path, :key, :type, CAST(:payload AS jsonb), :trace, :span)"
        ),
        {
            "id": event_id,
            "destination": destination,
            "path": path,
            "key": ordering_key,
            "type": event_type,
            "payload": json.dumps(payload, ensure_ascii=False),
            "trace": ids[0] if ids else None,
            "span": ids[1] if ids else None,
        },
    )
    # PostgreSQL sends the notification at commit (none on rollback) and folds repeats within a transaction.
    await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel(schema)})
    return event_id


@dataclass(frozen=True)
class StuckEvent:
    id: uuid.UUID
    seq: int
    destination: str
    ordering_key: str
    event_type: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime
    dead_reason: str | None
    dead_at: datetime | None


_COLUMNS = (
    "id, seq, destination, ordering_key, event_type, status, attempts, last_error, created_at,"
    " last_attempt_at, next_attempt_at, dead_reason, dead_at"
)


async def list_stuck(
    conn: AsyncConnection | AsyncSession, *, schema: str, min_attempts: int, after_seq: int | None, limit: int
) -> Sequence[StuckEvent]:
    """Pending events that failed at least `min_attempts` times, oldest first (dead ones: `list_dead`)."""
    rows = (
        await conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM {table(schema)} WHERE status = 'pending'"
                " AND attempts >= :min AND seq > :after ORDER BY seq LIMIT :limit"
            ),
            {"min": min_attempts, "after": after_seq or 0, "limit": limit},
        )
    ).mappings()
    return [StuckEvent(**row) for row in rows]


async def list_dead(
    conn: AsyncConnection | AsyncSession, *, schema: str, after_seq: int | None, limit: int
) -> Sequence[StuckEvent]:
    """Events the receiver refused for good, oldest first."""
    rows = (
        await conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM {table(schema)} WHERE status = 'dead'"
                " AND seq > :after ORDER BY seq LIMIT :limit"
            ),
            {"after": after_seq or 0, "limit": limit},
        )
    ).mappings()
    return [StuckEvent(**row) for row in rows]


async def retry_dead(
    conn: AsyncConnection | AsyncSession, *, schema: str, event_id: uuid.UUID
) -> StuckEvent | None:
    """Put a dead event back to pending, due now; None when no dead event has this id.

    One statement: of two retries at once, one finds the event dead and the other finds it pending.
    """
    row = (
        (
            await conn.execute(
                text(
                    f"UPDATE {table(schema)} SET status = 'pending', dead_reason = NULL, dead_at = NULL,"
                    " next_attempt_at = now(), locked_until = NULL, locked_by = NULL"
                    f" WHERE id = :id AND status = 'dead' RETURNING {_COLUMNS}"
                ),
                {"id": event_id},
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel(schema)})
    return StuckEvent(**row)


async def event_status(
    conn: AsyncConnection | AsyncSession, *, schema: str, event_id: uuid.UUID
) -> str | None:
    found = await conn.execute(text(f"SELECT status FROM {table(schema)} WHERE id = :id"), {"id": event_id})
    return found.scalar_one_or_none()
