from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.evaluation.common import Id
from services.evaluation.cycle_aggregation import service
from services.evaluation.cycle_aggregation.schemas import CycleAggregationOut
from shared.auth import Identity, Role, require_roles
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute

router = APIRouter(prefix="/evaluation", tags=["evaluation results"], route_class=JsonBodyRoute)

# City officers, auditors and the panel (evaluators), who read every target's results too.
AggregationReader = Annotated[
    Identity, Depends(require_roles(Role.city_officer, Role.auditor, Role.evaluator))
]


@router.get("/cycles/{cycle_id}/aggregation", summary="Aggregate every target of a cycle")
async def cycle_aggregation(
    session: SessionDep,
    cycle_id: Id,
    _: AggregationReader,
    round: Annotated[int | None, Query(ge=1, le=2, description="Only this round's targets.")] = None,
) -> CycleAggregationOut:
    """Every target's aggregated points per indicator and exact total, by the cycle's method, as computing its
    result would give them (nothing is stored; a target that cannot be computed says why)."""
    return await service.cycle_aggregation(session, cycle_id=cycle_id, round=round)
