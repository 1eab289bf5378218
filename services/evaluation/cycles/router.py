from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.evaluation.common import CityOfficer
from services.evaluation.cycles import service
from services.evaluation.cycles.schemas import CycleCreate, CycleOut
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/evaluation", tags=["evaluation cycles"], route_class=JsonBodyRoute)


@router.get("/cycles", summary="List evaluation cycles")
async def list_cycles(
    session: SessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Page[CycleOut]:
    """Evaluation cycles, newest first."""
    return await service.list_cycles(session, cursor=cursor, limit=limit, year=year)


@router.get("/cycles/{cycle_id}", summary="Get an evaluation cycle")
async def get_cycle(session: SessionDep, cycle_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> CycleOut:
    """One evaluation cycle."""
    return await service.get_cycle(session, cycle_id)


@router.post("/cycles", status_code=201, summary="Open an evaluation cycle")
async def create_cycle(
    session: SessionDep,
    data: CycleCreate,
    actor: CityOfficer,
) -> CycleOut:
    """Create an evaluation cycle (city officers)."""
    return await service.create_cycle(session, data=data, actor=actor)
