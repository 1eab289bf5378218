"""Evaluation's confirmed results, received once each through the inbox and handed to one function."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.evaluation_results import repository
from services.budget.evaluation_results.schemas import EvaluationResultEvent, EventReceipt
from services.budget.grants import evaluation as grants
from shared import inbox
from shared.service_auth import ServiceIdentity

SOURCE = "evaluation"


async def apply_evaluation_result(session: AsyncSession, event: inbox.InboxEvent) -> None:
    """What a confirmed result does in budget; runs once per event, in the transaction that stores it.

    The result is recorded as delivered; when it evaluates a platform grant, it is applied to that grant
    (grants/evaluation.py), which decides whether and by how much the next year's grant continues.
    """
    payload = event.payload
    await repository.add_result(
        session, event_id=event.event_id, target_id=int(payload["target_id"]), payload=payload
    )
    if payload.get("grant_id") is None:
        return
    await grants.apply_evaluation_result(
        session,
        event_id=event.event_id,
        grant_id=int(payload["grant_id"]),
        cycle_year=int(payload["cycle_year"]),
        category=payload["category"],
        confirmed_at=datetime.fromisoformat(payload["confirmed_at"]),
        actor=ServiceIdentity(subject=f"service:{event.source}"),
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
