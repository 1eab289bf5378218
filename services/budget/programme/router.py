from typing import Annotated

from fastapi import APIRouter, Path

from services.budget.common import CityOfficer
from services.budget.programme import service
from services.budget.programme.schemas import ProgrammeChanges, ProgrammeCreate, ProgrammeOut
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute

router = APIRouter(prefix="/budget", tags=["budget programme"], route_class=JsonBodyRoute)

FiscalYear = Annotated[int, Path(ge=2000, le=2100, examples=[2017])]


@router.get("/programme/{fiscal_year}", summary="Get a year's programme budget")
async def get_programme(session: SessionDep, fiscal_year: FiscalYear) -> ProgrammeOut:
    """The programme budget tree of a year, depth-first, in whole KRW; every parent is its children's sum."""
    return await service.get_programme(session, fiscal_year)


@router.post("/programme/{fiscal_year}", status_code=201, summary="Record a year's programme budget")
async def create_programme(
    session: SessionDep,
    fiscal_year: FiscalYear,
    data: ProgrammeCreate,
    actor: CityOfficer,
) -> ProgrammeOut:
    """The whole tree at once (city officers); refused whole unless every parent is its children's sum."""
    return await service.create_programme(session, fiscal_year=fiscal_year, data=data, actor=actor)


@router.post("/programme/{fiscal_year}/changes", summary="Change programme amounts together")
async def change_programme(
    session: SessionDep,
    fiscal_year: FiscalYear,
    data: ProgrammeChanges,
    actor: CityOfficer,
) -> ProgrammeOut:
    """Change a child and its ancestors in one transaction (city officers); refused whole, with the
    arithmetic, if a parent would no longer equal its children's sum."""
    return await service.change_programme(session, fiscal_year=fiscal_year, data=data, actor=actor)
