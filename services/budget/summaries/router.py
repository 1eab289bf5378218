from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from services.budget.common import DistrictCode
from services.budget.summaries import service
from services.budget.summaries.service import DistrictYearSummary
from shared.db import ReadSessionDep
from shared.json_body import JsonBodyRoute

router = APIRouter(prefix="/budget", tags=["budget summaries"], route_class=JsonBodyRoute)

FiscalYear = Annotated[int, Path(ge=2000, le=2100, examples=[2017])]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a byte-order mark."}
}


@router.get("/summaries/{fiscal_year}", summary="Money of all 25 districts in a year")
async def list_summaries(session: ReadSessionDep, fiscal_year: FiscalYear) -> list[DistrictYearSummary]:
    """Per district: funding type and cap, envelope, grants with 시비/구비, spent, remaining (anyone)."""
    return await service.summaries(session, fiscal_year)


@router.get("/summaries/{fiscal_year}/districts/{district_code}", summary="A district's money in a year")
async def get_summary(
    session: ReadSessionDep, fiscal_year: FiscalYear, district_code: Annotated[DistrictCode, Path()]
) -> DistrictYearSummary:
    """One district's line of the year's summary (anyone)."""
    return (await service.summaries(session, fiscal_year, [district_code]))[0]


@router.get(
    "/summaries/{fiscal_year}/export.csv",
    summary="Export a year's district money as CSV",
    response_class=Response,
    responses=CSV_RESPONSE,
)
async def export_summaries(session: ReadSessionDep, fiscal_year: FiscalYear) -> Response:
    """The 25 districts' summary, Korean headers, UTF-8 with BOM, formula-looking text neutralised."""
    text = service.summaries_csv(await service.summaries(session, fiscal_year))
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="budget-summary-{fiscal_year}.csv"'},
    )
