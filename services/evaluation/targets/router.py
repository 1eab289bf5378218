from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.evaluation.common import CityOfficer, Id, RoundNumber, Staff, TargetReader
from services.evaluation.targets import service
from services.evaluation.targets.schemas import RoundOut, TargetCreate, TargetOut
from shared.councils_references import CouncilsReferences, councils_references
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/evaluation", tags=["evaluation targets"], route_class=JsonBodyRoute)


@router.get("/cycles/{cycle_id}/targets", summary="List a cycle's targets")
async def list_targets(
    session: SessionDep,
    cycle_id: Id,
    _: Staff,
    round: Annotated[int | None, Query(ge=1, le=2, description="Only this round's targets.")] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[TargetOut]:
    """The evaluated agencies of a cycle, oldest first, each with its weights so far."""
    return await service.list_targets(session, cycle_id=cycle_id, round=round, cursor=cursor, limit=limit)


@router.post("/cycles/{cycle_id}/targets", status_code=201, summary="Add a target")
async def create_target(
    session: SessionDep,
    cycle_id: Id,
    data: TargetCreate,
    actor: CityOfficer,
    references: Annotated[CouncilsReferences | None, Depends(councils_references)],
) -> TargetOut:
    """Add an agency to the cycle (city officers): a councils organisation of the district, its round.

    The organisation and its district are checked with councils first; 503 with Retry-After when councils
    cannot answer (nothing is stored)."""
    return await service.create_target(
        session, cycle_id=cycle_id, data=data, actor=actor, references=references
    )


@router.get("/targets/{target_id}", summary="Get a target")
async def get_target(session: SessionDep, target_id: Id, reader: TargetReader) -> TargetOut:
    """One target with its status and the sum of its weights (staff; an agency its own)."""
    return await service.read_target(session, target_id, reader=reader)


@router.post("/targets/{target_id}/open", summary="Open a target's round")
async def open_target(session: SessionDep, target_id: Id, actor: CityOfficer) -> TargetOut:
    """Open one target: its weights must sum to exactly 100 and its round must have every window set."""
    return await service.open_target(session, target_id, actor=actor)


@router.post("/cycles/{cycle_id}/rounds/{round}/open", summary="Open a round")
async def open_round(session: SessionDep, cycle_id: Id, round: RoundNumber, actor: CityOfficer) -> RoundOut:
    """Open every target of the round at once, or none (city officers)."""
    return await service.open_round(session, cycle_id=cycle_id, round=round, actor=actor)
