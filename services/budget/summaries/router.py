from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Response

from services.budget.common import DistrictCode
from services.budget.summaries import chart, service
from services.budget.summaries.schemas import DistrictYearSummary
from shared.db import ReadSessionDep
from shared.json_body import JsonBodyRoute
from shared.preconditions import if_none_match_hits
from shared.svg import CHART_CACHE_CONTROL, SvgResponse

router = APIRouter(prefix="/budget", tags=["budget summaries"], route_class=JsonBodyRoute)

FiscalYear = Annotated[int, Path(ge=2000, le=2100, examples=[2017])]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a byte-order mark."}
}


@router.get("/summaries/{fiscal_year}", summary="Money of all 25 districts in a year")
async def list_summaries(session: ReadSessionDep, fiscal_year: FiscalYear) -> list[DistrictYearSummary]:
    """Per district: funding type and cap, envelope, grants with 시비/구비, spent, remaining (anyone)."""
    return await service.summaries(session, fiscal_year)


DISTRICT_SVG_DESCRIPTION = """The district's line of the year's summary as a picture to embed
(`<img src=…>`): its envelope, its grants (시비 and 구비 stacked) and what it spent, on one scale, with the
amounts in 원 and the remaining money, labelled in Korean. 400 units wide in its `viewBox` and
`width="100%"`, so it scales to a phone's width; `<title>` and `<desc>` carry the figures for screen readers.

Anyone may read it, as the JSON. A strong `ETag` of the picture's bytes and `Cache-Control: public,
max-age=60`; `If-None-Match` naming the current picture is **304**.
"""


@router.get(
    "/summaries/{fiscal_year}/districts/{district_code}.svg",
    summary="A district's money in a year as an SVG chart",
    description=DISTRICT_SVG_DESCRIPTION,
    response_class=SvgResponse,
    responses={
        200: {
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            "description": "The district's money chart (SVG, UTF-8)",
        },
        304: {"description": "The chart named by If-None-Match has not changed"},
    },
)
async def get_summary_svg(
    session: ReadSessionDep,
    fiscal_year: FiscalYear,
    district_code: Annotated[DistrictCode, Path()],
    if_none_match: Annotated[
        str | None,
        Header(alias="If-None-Match", description="The chart's ETag as read: 304 if it still is."),
    ] = None,
) -> Response:
    svg, etag = await chart.district_svg(session, fiscal_year, district_code)
    headers = {"ETag": etag, "Cache-Control": CHART_CACHE_CONTROL}
    if if_none_match_hits(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return SvgResponse(svg, headers=headers)


# Declared after the .svg route: `{district_code}` alone would match "11110.svg" first.
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
