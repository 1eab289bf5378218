from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.councils.common.access import RegistryWriter
from services.councils.district_status import service
from services.councils.district_status.schemas import DistrictStatusCreate, DistrictStatusOut
from shared.dates import IsoDate
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/councils", tags=["districts"], route_class=JsonBodyRoute)

DistrictCode = Annotated[str, Path(pattern=r"^\d{5}$", description="5-digit administrative code")]


@router.post(
    "/districts/{code}/status-records", status_code=201, summary="Record a district's governance status"
)
async def create_district_status(
    session: SessionDep, code: DistrictCode, data: DistrictStatusCreate, actor: RegistryWriter
) -> DistrictStatusOut:
    """What a source says, as of a date: department, support officers, coordinator, ordinance, forums."""
    return await service.create_status(session, code=code, data=data, actor=actor)


@router.get("/districts/{code}/status-records", summary="List a district's status records")
async def list_district_status(
    session: SessionDep, code: DistrictCode, cursor: CursorParam = None, limit: LimitParam = 50
) -> Page[DistrictStatusOut]:
    """Every status record of the district, latest as-of date first."""
    return await service.list_status(session, code=code, cursor=cursor, limit=limit)


@router.get("/districts/{code}/status", summary="A district's governance status on a date")
async def get_district_status(
    session: SessionDep,
    code: DistrictCode,
    on: Annotated[
        IsoDate | None, Query(description="The date (YYYY-MM-DD); today in Seoul by default.")
    ] = None,
) -> DistrictStatusOut:
    """The latest status record as of the date."""
    return await service.status_on(session, code=code, on=on)
