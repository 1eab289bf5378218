from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared import outbox

SCHEMA = "evaluation"


async def add_event(
    conn: AsyncConnection | AsyncSession,
    *,
    destination: str,
    path: str,
    ordering_key: str,
    event_type: str,
    payload: Mapping[str, Any],
) -> UUID:
    return await outbox.enqueue(
        conn,
        schema=SCHEMA,
        destination=destination,
        path=path,
        ordering_key=ordering_key,
        event_type=event_type,
        payload=payload,
    )


async def list_stuck(
    session: AsyncSession, *, min_attempts: int, after_seq: int | None, limit: int
) -> Sequence[outbox.StuckEvent]:
    return await outbox.list_stuck(
        session, schema=SCHEMA, min_attempts=min_attempts, after_seq=after_seq, limit=limit
    )


async def list_dead(
    session: AsyncSession, *, after_seq: int | None, limit: int
) -> Sequence[outbox.StuckEvent]:
    return await outbox.list_dead(session, schema=SCHEMA, after_seq=after_seq, limit=limit)


async def retry_dead(session: AsyncSession, event_id: UUID) -> outbox.StuckEvent | None:
    return await outbox.retry_dead(session, schema=SCHEMA, event_id=event_id)


async def event_status(session: AsyncSession, event_id: UUID) -> str | None:
    return await outbox.event_status(session, schema=SCHEMA, event_id=event_id)
