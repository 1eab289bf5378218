from typing import Annotated

from fastapi import APIRouter, Path

from services.councils.district_overview.schemas import CouncilsDistrictOverview
from services.councils.district_overview.service import district_overview
from shared.db import ReadSessionDep
from shared.json_body import JsonBodyRoute

router = APIRouter(prefix="/councils", tags=["districts"], route_class=JsonBodyRoute)

DistrictCode = Annotated[
    str, Path(pattern=r"^\d{5}$", description="5-digit administrative code", examples=["11110"])
]


@router.get("/districts/{code}/overview", summary="A district's councils records at a glance")
async def get_district_overview(session: ReadSessionDep, code: DistrictCode) -> CouncilsDistrictOverview:
    """The district, its latest governance status (null without a record), its bodies, each governance body's
    composition today and its platforms, as the separate reads give them (anyone); a bounded number of
    statements whatever the number of records (the gateway's district overview reads it)."""
    return await district_overview(session, code=code)
