from typing import Annotated

from fastapi import APIRouter, Path

from services.budget.common import CityOfficer
from services.budget.cycles import service
from services.budget.cycles.schemas import CycleCreate, CycleOut
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/budget", tags=["budget cycles"], route_class=JsonBodyRoute)

CycleId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/cycles", summary="List budget cycles")
async def list_cycles(
    session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 50
) -> Page[CycleOut]:
    """Participatory-budget cycles, newest first."""
    return await service.list_cycles(session, cursor=cursor, limit=limit)


@router.get("/cycles/{cycle_id}", summary="Get a budget cycle")
async def get_cycle(session: SessionDep, cycle_id: CycleId) -> CycleOut:
    """One participatory-budget cycle."""
    return await service.get_cycle(session, cycle_id)


@router.post("/cycles", status_code=201, summary="Open a budget cycle")
async def create_cycle(
    session: SessionDep,
    data: CycleCreate,
    actor: CityOfficer,
) -> CycleOut:
    """Create a participatory-budget cycle in draft (city officers)."""
    return await service.create_cycle(session, data=data, actor=actor)
