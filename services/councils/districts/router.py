from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from services.councils.districts import service
from services.councils.districts.schemas import DistrictOut, RegionGroupingOut
from shared.db import ReadSessionDep, SessionDep
from shared.driver import driver_connection
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


@router.get("/districts/{code}", summary="Get one district", response_model=DistrictOut)
async def get_district(request: Request, code: DistrictCode) -> Response:
    """One district by its 5-digit administrative code."""
    # The registry's hottest read: one statement on the bare connection, the model serialised once.
    async with driver_connection(request) as connection:
        district = await service.read_district(connection, code)
    return Response(district.model_dump_json(), media_type="application/json")


@router.get("/region-groupings", summary="List region groupings")
async def list_region_groupings(session: SessionDep) -> list[RegionGroupingOut]:
    """Every grouping of districts into regions, with each region's districts."""
    return await service.list_groupings(session)
