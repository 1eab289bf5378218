"""Evaluation's events for other services: written in the caller's transaction, delivered by the relay."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.evaluation.outbox import repository
from services.evaluation.outbox.errors import OutboxEventNotDead, OutboxEventNotFound
from services.evaluation.outbox.schemas import StuckEventOut
from shared.pagination import BIG_ID, Page, decode_cursor, page_of

RESULT_CONFIRMED = "evaluation.result_confirmed"
BUDGET = "budget"
BUDGET_RESULTS_PATH = "/internal/evaluation-results"


async def enqueue_result_confirmed(
    conn: AsyncConnection | AsyncSession, target_id: int, payload: Mapping[str, Any]
) -> UUID:
    """Tell budget that a target's result is confirmed, once the caller's transaction commits.

    Events of one target reach budget in the order they were written here (the ordering key is the target).
    """
    return await repository.add_event(
        conn,
        destination=BUDGET,
        path=BUDGET_RESULTS_PATH,
        ordering_key=f"target:{target_id}",
        event_type=RESULT_CONFIRMED,
        payload={**payload, "target_id": target_id},
    )


async def list_stuck(
    session: AsyncSession, *, min_attempts: int, cursor: str | None, limit: int
) -> Page[StuckEventOut]:
    key = decode_cursor(cursor, (BIG_ID,))
    rows = await repository.list_stuck(
        session, min_attempts=min_attempts, after_seq=int(key[0]) if key else None, limit=limit + 1
    )
    items = [StuckEventOut.model_validate(row) for row in rows]
    return page_of(items, limit, lambda item: [item.seq])


async def list_dead(session: AsyncSession, *, cursor: str | None, limit: int) -> Page[StuckEventOut]:
    key = decode_cursor(cursor, (BIG_ID,))
    rows = await repository.list_dead(session, after_seq=int(key[0]) if key else None, limit=limit + 1)
    items = [StuckEventOut.model_validate(row) for row in rows]
    return page_of(items, limit, lambda item: [item.seq])


async def retry_dead(session: AsyncSession, event_id: UUID) -> StuckEventOut:
    """Send a dead event again (its cause fixed): pending, due now, still ahead of its key's later events."""
    row = await repository.retry_dead(session, event_id)
    if row is None:
        status = await repository.event_status(session, event_id)
        if status is None:
            raise OutboxEventNotFound(
                f"No outbox event {event_id}",
                detail_ko=f"전달 이벤트 {event_id}이(가) 없습니다",
                field="path.event_id",
            )
        raise OutboxEventNotDead(
            f"Outbox event {event_id} is {status}, not dead: only a dead event is retried by hand",
            detail_ko=(
                f"전달 이벤트 {event_id}은(는) 현재 {status} 상태입니다."
                " 멈춘(dead) 이벤트만 다시 보낼 수 있습니다"
            ),
            field="path.event_id",
        )
    return StuckEventOut.model_validate(row)
