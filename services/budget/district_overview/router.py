from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.budget.common import DistrictCode
from services.budget.district_overview import service
from services.budget.district_overview.schemas import DistrictBudgetOverview
from shared.db import ReadSessionDep
from shared.json_body import JsonBodyRoute
from shared.seoul import today_seoul

router = APIRouter(prefix="/budget", tags=["budget summaries"], route_class=JsonBodyRoute)


@router.get("/districts/{district_code}/overview", summary="A district's budget at a glance")
async def get_district_overview(
    session: ReadSessionDep,
    district_code: Annotated[DistrictCode, Path()],
    fiscal_year: Annotated[
        int | None, Query(ge=2000, le=2100, description="The year; this year in Seoul by default.")
    ] = None,
) -> DistrictBudgetOverview:
    """The year's money line (envelope, grants with 시비/구비, spent, remaining), the district's envelopes,
    its grants by kind and status, and its amendments awaiting a decision (count and the newest five);
    anyone may read it. Five queries whatever the number of records."""
    year = fiscal_year or today_seoul().year
    return await service.district_overview(session, code=district_code, year=year)
