from fastapi import APIRouter

from services.evaluation.common import Agency, CityOfficer, Id, Rater, TargetReader
from services.evaluation.recusals import service
from services.evaluation.recusals.schemas import (
    ChallengeIn,
    DecisionIn,
    MemberOrganizationsIn,
    MemberOrganizationsOut,
    RecusalOut,
    WithdrawalIn,
)
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/evaluation", tags=["evaluation recusal"], route_class=JsonBodyRoute)


@router.get("/targets/{target_id}/recusals", summary="List a target's recusals")
async def list_recusals(
    session: SessionDep,
    target_id: Id,
    reader: TargetReader,  # staff read every target's recusals; an agency its own target's
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[RecusalOut]:
    """제척 (computed from ties), 기피 and 회피 of the target's raters (staff; an agency its own)."""
    return await service.list_recusals(
        session, target_id=target_id, reader=reader, cursor=cursor, limit=limit
    )


@router.post("/targets/{target_id}/challenges", status_code=201, summary="Challenge a rater (기피)")
async def challenge(session: SessionDep, target_id: Id, data: ChallengeIn, actor: Agency) -> RecusalOut:
    """The agency of the target (its own only) challenges a rater with a reason; pending until a city officer
    other than the challenged rater decides it; while pending the rater cannot score the target."""
    return await service.challenge(session, target_id=target_id, data=data, actor=actor)


@router.post("/recusals/{recusal_id}/decision", summary="Decide a challenge")
async def decide(session: SessionDep, recusal_id: Id, data: DecisionIn, actor: CityOfficer) -> RecusalOut:
    """Uphold or reject a pending challenge, with a reason (city officers; never the challenged rater)."""
    return await service.decide(session, recusal_id=recusal_id, data=data, actor=actor)


@router.post("/targets/{target_id}/withdrawal", status_code=201, summary="Withdraw from a target (회피)")
async def withdraw(session: SessionDep, target_id: Id, data: WithdrawalIn, actor: Rater) -> RecusalOut:
    """A rater of the target's panel steps back from it, with a reason; then neither reads nor scores it."""
    return await service.withdraw(session, target_id=target_id, data=data, actor=actor)


@router.put("/targets/{target_id}/member-organizations", summary="Set a target's member organisations")
async def set_member_organizations(
    session: SessionDep, target_id: Id, data: MemberOrganizationsIn, actor: CityOfficer
) -> MemberOrganizationsOut:
    """The consortium's member organisations (city officers); raters tied to one are excluded (제척) at once,
    and exclusions no tie supports any more are lifted."""
    return await service.set_member_organizations(session, target_id=target_id, data=data, actor=actor)
