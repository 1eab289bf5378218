from fastapi import APIRouter

from services.evaluation.common import CityOfficer, Id, RoundNumber, Staff
from services.evaluation.windows import service
from services.evaluation.windows.phases import Phase
from services.evaluation.windows.schemas import ExtensionCreate, WindowCreate, WindowOut
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute

router = APIRouter(prefix="/evaluation", tags=["evaluation rounds and windows"], route_class=JsonBodyRoute)

WINDOWS = "/cycles/{cycle_id}/rounds/{round}/windows"


@router.get(WINDOWS, summary="List a round's phase windows")
async def list_windows(session: SessionDep, cycle_id: Id, round: RoundNumber, _: Staff) -> list[WindowOut]:
    """The round's phase windows in schedule order (at most seven), each with its extensions."""
    return await service.list_windows(session, cycle_id=cycle_id, round=round)


@router.post(WINDOWS, status_code=201, summary="Set a phase window")
async def set_window(
    session: SessionDep, cycle_id: Id, round: RoundNumber, data: WindowCreate, actor: CityOfficer
) -> WindowOut:
    """Set the Asia/Seoul dates of one phase of the round (city officers); once set, it is only extended."""
    return await service.set_window(session, cycle_id=cycle_id, round=round, data=data, actor=actor)


@router.get(WINDOWS + "/{phase}", summary="Get a phase window")
async def get_window(
    session: SessionDep, cycle_id: Id, round: RoundNumber, phase: Phase, _: Staff
) -> WindowOut:
    """One phase window with its extensions."""
    return await service.get_window(session, cycle_id=cycle_id, round=round, phase=phase)


@router.post(WINDOWS + "/{phase}/extensions", status_code=201, summary="Extend a phase window")
async def extend_window(
    session: SessionDep,
    cycle_id: Id,
    round: RoundNumber,
    phase: Phase,
    data: ExtensionCreate,
    actor: CityOfficer,
) -> WindowOut:
    """Move the window's last day later, with a reason; recorded with the officer and the time."""
    return await service.extend_window(
        session, cycle_id=cycle_id, round=round, phase=phase, data=data, actor=actor
    )
