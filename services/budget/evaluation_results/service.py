"""Evaluation's confirmed results, received once each through the inbox and handed to one function."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.evaluation_results import repository
from services.budget.evaluation_results.schemas import EvaluationResultEvent, EventReceipt
from shared import inbox
from shared.service_auth import ServiceIdentity

SOURCE = "evaluation"


async def apply_evaluation_result(session: AsyncSession, event: inbox.InboxEvent) -> None:
    """What a confirmed result does in budget; runs once per event, in the transaction that stores it.

    For now it records the result; the grants' continuation (continued, increased, reduced, stopped) is
    decided here once grants exist.
    """
    await repository.add_result(
        session, event_id=event.event_id, target_id=int(event.payload["target_id"]), payload=event.payload
    )


async def receive_result(
    session: AsyncSession, *, event: EvaluationResultEvent, caller: ServiceIdentity
) -> EventReceipt:
    received = inbox.InboxEvent(
        event_id=event.event_id,
        source=caller.service,
        event_type=event.event_type,
        ordering_key=event.ordering_key,
        payload=event.payload_dict(),
        sent_at=event.created_at,
    )
    applied = await inbox.receive(session, schema="budget", event=received, handler=apply_evaluation_result)
    return EventReceipt(event_id=event.event_id, duplicate=not applied)
