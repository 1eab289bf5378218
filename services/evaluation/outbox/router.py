from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query

from services.evaluation.common import CityOfficer
from services.evaluation.outbox import service
from services.evaluation.outbox.schemas import StuckEventOut
from shared.auth import Identity, Role, require_roles
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/evaluation", tags=["evaluation deliveries"], route_class=JsonBodyRoute)

# Auditors read; only a city officer (CityOfficer) sends an event again.
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


@router.get("/outbox/dead", summary="List events refused for good")
async def list_dead_events(
    session: SessionDep, _: Operator, cursor: CursorParam = None, limit: LimitParam = 50
) -> Page[StuckEventOut]:
    """Events the receiver refused permanently (400/404/410/413/415/422), oldest first, with the reason.

    A dead event is not retried by itself, and the later events of its ordering key (its target) wait behind
    it, so that budget never applies a target's results out of order.
    """
    return await service.list_dead(session, cursor=cursor, limit=limit)


@router.post("/outbox/dead/{event_id}/retry", summary="Send a dead event again")
async def retry_dead_event(
    session: SessionDep,
    _: CityOfficer,
    event_id: Annotated[UUID, Path(description="The dead event's id.")],
) -> StuckEventOut:
    """Put a dead event back to pending, due now (once its cause is fixed); 409 when it is not dead."""
    return await service.retry_dead(session, event_id)
