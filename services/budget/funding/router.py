from typing import Annotated

from fastapi import APIRouter, Path

from services.budget.common import CityOfficer, DistrictCode
from services.budget.envelopes.schemas import FundingTypeOut
from services.budget.funding import service
from services.budget.funding.schemas import DistrictFundingOut, DistrictFundingSet, FundingTypeUpdate
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute

router = APIRouter(prefix="/budget", tags=["budget funding"], route_class=JsonBodyRoute)

FiscalYear = Annotated[int, Path(ge=2000, le=2100, examples=[2017])]
DistrictPath = Annotated[DistrictCode, Path()]


@router.put("/funding-types/{code}", summary="Correct a district funding type")
async def correct_funding_type(
    session: SessionDep,
    code: Annotated[str, Path(min_length=1, max_length=40, examples=["general"])],
    data: FundingTypeUpdate,
    actor: CityOfficer,
) -> FundingTypeOut:
    """Replace the reading of a funding type (city officers), with its source and the reason; the previous
    figures stay in `GET /budget/history?table=funding_types`."""
    return await service.correct_funding_type(session, code=code, data=data, actor=actor)


@router.get("/districts/{district_code}/funding/{fiscal_year}", summary="Get a district's funding type")
async def get_district_funding(
    session: SessionDep, district_code: DistrictPath, fiscal_year: FiscalYear
) -> DistrictFundingOut:
    """The district's funding type for the year, its 동 count, its cap, what is committed and the room."""
    return await service.get_district_funding(session, district_code, fiscal_year)


@router.put("/districts/{district_code}/funding/{fiscal_year}", summary="Assign a district's funding type")
async def set_district_funding(
    session: SessionDep,
    district_code: DistrictPath,
    fiscal_year: FiscalYear,
    data: DistrictFundingSet,
    actor: CityOfficer,
) -> DistrictFundingOut:
    """Set the district's funding type and 동 count for the year (city officers); refused if what the
    district already has would pass the new cap."""
    return await service.set_district_funding(
        session, district=district_code, year=fiscal_year, data=data, actor=actor
    )
