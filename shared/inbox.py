"""Idempotent inbox: each delivered event is stored once, and its handler runs in the same transaction.

The receiving service keeps a `<schema>.inbox_events` table keyed by the sender's event id (its migration:
budget 0009). `receive` inserts the id with `ON CONFLICT DO NOTHING`: the first delivery inserts it and runs
the handler; a repeated one (the relay retrying after a lost acknowledgement, a sender restarted mid-send)
finds it and does nothing. Two deliveries racing: the second insert waits for the first's transaction and
then finds the row (or inserts it, if the first rolled back). Handler and inbox row commit together, so an
event is never marked received without its effect, nor applied without being marked.
"""

import json
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class InboxEvent:
    event_id: uuid.UUID
    source: str
    event_type: str
    ordering_key: str
    payload: Mapping[str, Any]
    sent_at: datetime


Handler = Callable[[AsyncSession, InboxEvent], Awaitable[None]]


async def receive(session: AsyncSession, *, schema: str, event: InboxEvent, handler: Handler) -> bool:
    """Store the event and run `handler` once; False when this event id was already received."""
    if not _SCHEMA.match(schema):
        raise ValueError(f"not a schema name: {schema!r}")
    inserted = await session.scalar(
        text(
            f"INSERT INTO {schema}.inbox_events"
            " (event_id, source, event_type, ordering_key, payload, sent_at)"
            " VALUES (:id, :source, :type, :key, CAST(:payload AS jsonb), :sent_at)"
            " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
        ),
        {
            "id": event.event_id,
            "source": event.source,
            "type": event.event_type,
            "key": event.ordering_key,
            "payload": json.dumps(event.payload, ensure_ascii=False),
            "sent_at": event.sent_at,
        },
    )
    if inserted is None:
        return False
    await handler(session, event)
    return True


async def received(conn: AsyncConnection | AsyncSession, *, schema: str, event_id: uuid.UUID) -> bool:
    if not _SCHEMA.match(schema):
        raise ValueError(f"not a schema name: {schema!r}")
    found = await conn.execute(
        text(f"SELECT 1 FROM {schema}.inbox_events WHERE event_id = :id"), {"id": event_id}
    )
    return found.first() is not None
