"""Internal endpoints: called by other services with a service token, never through the gateway."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.budget.evaluation_results import service
from services.budget.evaluation_results.schemas import EvaluationResultEvent, EventReceipt
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.service_auth import INTERNAL_PREFIX, ServiceIdentity, require_service

router = APIRouter(prefix=INTERNAL_PREFIX, tags=["internal"], route_class=JsonBodyRoute)

Evaluation = Annotated[ServiceIdentity, Depends(require_service("evaluation"))]


@router.post("/evaluation-results", summary="Receive a confirmed evaluation result", include_in_schema=False)
async def receive_evaluation_result(
    session: SessionDep, event: EvaluationResultEvent, caller: Evaluation
) -> EventReceipt:
    """Store the event once and apply it once (evaluation's outbox relay; its service token only)."""
    return await service.receive_result(session, event=event, caller=caller)
