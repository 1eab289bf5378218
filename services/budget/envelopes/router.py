from typing import Annotated

from fastapi import APIRouter, Path

from services.budget.common import CityOfficer
from services.budget.cycles.router import CycleId
from services.budget.envelopes import service
from services.budget.envelopes.schemas import EnvelopeCreate, EnvelopeOut, FundingTypeOut
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute

router = APIRouter(prefix="/budget", tags=["budget envelopes"], route_class=JsonBodyRoute)

EnvelopeId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/funding-types", summary="List district funding types")
async def list_funding_types(session: SessionDep) -> list[FundingTypeOut]:
    """The district funding types (일반형, 융합형, 분리형) and their grant amounts."""
    return await service.list_funding_types(session)


@router.get("/cycles/{cycle_id}/envelopes", summary="List a cycle's envelopes")
async def list_envelopes(session: SessionDep, cycle_id: CycleId) -> list[EnvelopeOut]:
    """Every envelope of a cycle (city-level first, then by district and track); at most 52."""
    return await service.list_envelopes(session, cycle_id)


@router.post("/cycles/{cycle_id}/envelopes", status_code=201, summary="Create an envelope")
async def create_envelope(
    session: SessionDep,
    cycle_id: CycleId,
    data: EnvelopeCreate,
    actor: CityOfficer,
) -> EnvelopeOut:
    """Set the money of a district (or the city) and a track for this cycle, in whole KRW (city officers)."""
    return await service.create_envelope(session, cycle_id=cycle_id, data=data, actor=actor)


@router.get("/envelopes/{envelope_id}", summary="Get an envelope")
async def get_envelope(session: SessionDep, envelope_id: EnvelopeId) -> EnvelopeOut:
    """One envelope."""
    return EnvelopeOut.model_validate(await service.get_envelope(session, envelope_id))
