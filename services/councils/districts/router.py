from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.councils.districts import service
from services.councils.districts.schemas import DistrictOut, RegionGroupingOut
from shared.db import ReadSessionDep, SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/councils", tags=["districts"], route_class=JsonBodyRoute)

DistrictCode = Annotated[
    str, Path(pattern=r"^\d{5}$", description="5-digit administrative code", examples=["11110"])
]


@router.get("/districts", summary="List Seoul's districts")
async def list_districts(
    session: ReadSessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
    region: Annotated[str | None, Query(description="Only districts in this region code.")] = None,
    grouping: Annotated[str | None, Query(description="Region grouping the `region` belongs to.")] = None,
) -> Page[DistrictOut]:
    """The 25 autonomous districts (자치구), ordered by code, each with its region in every grouping."""
    return await service.list_districts(session, cursor=cursor, limit=limit, region=region, grouping=grouping)


@router.get("/districts/{code}", summary="Get one district")
async def get_district(session: ReadSessionDep, code: DistrictCode) -> DistrictOut:
    """One district by its 5-digit administrative code."""
    return await service.get_district(session, code)


@router.get("/region-groupings", summary="List region groupings")
async def list_region_groupings(session: SessionDep) -> list[RegionGroupingOut]:
    """Every grouping of districts into regions, with each region's districts."""
    return await service.list_groupings(session)
