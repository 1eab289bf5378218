from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.evaluation.outbox import service
from services.evaluation.outbox.schemas import StuckEventOut
from shared.auth import Identity, Role, require_roles
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/evaluation", tags=["evaluation deliveries"], route_class=JsonBodyRoute)

Operator = Annotated[Identity, Depends(require_roles(Role.city_officer, Role.auditor))]


@router.get("/outbox/stuck", summary="List undelivered events")
async def list_stuck_events(
    session: SessionDep,
    _: Operator,
    min_attempts: Annotated[
        int, Query(ge=0, le=1_000_000, description="Only events that failed at least this many times.")
    ] = 1,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[StuckEventOut]:
    """Events for other services not acknowledged yet, oldest first, with attempts and the last error."""
    return await service.list_stuck(session, min_attempts=min_attempts, cursor=cursor, limit=limit)
