from fastapi import APIRouter

from services.evaluation.common import CityOfficer, Id, Staff
from services.evaluation.rubrics import service
from services.evaluation.rubrics.schemas import RubricCreate, RubricOut
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/evaluation", tags=["evaluation rubrics"], route_class=JsonBodyRoute)


@router.get("/cycles/{cycle_id}/rubrics", summary="List a cycle's rubric scales")
async def list_rubrics(
    session: SessionDep, cycle_id: Id, _: Staff, cursor: CursorParam = None, limit: LimitParam = 50
) -> Page[RubricOut]:
    """The rubric scales of a cycle, oldest first, each with its levels."""
    return await service.list_scales(session, cycle_id=cycle_id, cursor=cursor, limit=limit)


@router.post("/cycles/{cycle_id}/rubrics", status_code=201, summary="Create a rubric scale")
async def create_rubric(
    session: SessionDep, cycle_id: Id, data: RubricCreate, actor: CityOfficer
) -> RubricOut:
    """A scale of labelled levels with values, best first, and at most one N/A level (city officers)."""
    return await service.create_scale(session, cycle_id=cycle_id, data=data, actor=actor)


@router.get("/rubrics/{rubric_id}", summary="Get a rubric scale")
async def get_rubric(session: SessionDep, rubric_id: Id, _: Staff) -> RubricOut:
    """One rubric scale with its levels."""
    return await service.read_scale(session, rubric_id)
