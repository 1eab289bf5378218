from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from services.budget.common import CityOfficer, DistrictCode, Officer, Track
from services.budget.cycles.router import CycleId
from services.budget.envelopes.router import EnvelopeId
from services.budget.proposals import lineage, screening, service
from services.budget.proposals.schemas import (
    MergeCreate,
    ProposalCreate,
    ProposalDetail,
    ProposalOut,
    ProposalStatus,
    ReviewCreate,
    RevisionCreate,
    ScreeningOut,
    ShortlistAdd,
    SplitCreate,
    StageChange,
)
from services.budget.settings import BudgetSettings
from shared.auth import Identity, Role, require_roles
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/budget", tags=["budget proposals"], route_class=JsonBodyRoute)

ProposalId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Round = Annotated[int, Path(ge=1, le=2, description="1: first screening (≤ 170 %), 2: second (≤ 130 %).")]
Proposer = Annotated[Identity, Depends(require_roles(Role.citizen, Role.district_officer, Role.city_officer))]


async def _settings(request: Request) -> BudgetSettings:
    """`async def` so that FastAPI does not run it in a worker thread."""
    settings: BudgetSettings = request.app.state.settings
    return settings


Settings = Annotated[BudgetSettings, Depends(_settings)]


@router.post("/cycles/{cycle_id}/proposals", status_code=201, summary="Submit a proposal")
async def submit_proposal(
    session: SessionDep, cycle_id: CycleId, data: ProposalCreate, actor: Proposer
) -> ProposalOut:
    """Submit a proposal to its district and track's envelope (citizens; officers enter mail, in-person)."""
    return await service.submit(session, cycle_id=cycle_id, data=data, actor=actor)


@router.get("/cycles/{cycle_id}/proposals", summary="List a cycle's proposals")
async def list_proposals(
    session: SessionDep,
    cycle_id: CycleId,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
    district_code: Annotated[DistrictCode | None, Query()] = None,
    status: Annotated[ProposalStatus | None, Query()] = None,
    track: Annotated[Track | None, Query()] = None,
) -> Page[ProposalOut]:
    """Proposals of a cycle in submission order, optionally of one district, status or track."""
    return await service.list_proposals(
        session,
        cycle_id=cycle_id,
        cursor=cursor,
        limit=limit,
        district_code=district_code,
        status=status,
        track=track,
    )


@router.get("/proposals/{proposal_id}", summary="Get a proposal")
async def get_proposal(session: SessionDep, proposal_id: ProposalId) -> ProposalDetail:
    """One proposal with its review, every status change (who, when, why) and its merge/split lineage."""
    return await service.get_detail(session, proposal_id)


@router.post("/proposals/{proposal_id}/review", summary="Review a proposal")
async def review_proposal(
    session: SessionDep, proposal_id: ProposalId, data: ReviewCreate, actor: Officer
) -> ProposalDetail:
    """The department's review: accepted only if legal, not funded elsewhere, feasible (district officers)."""
    return await service.review(session, proposal_id=proposal_id, data=data, actor=actor)


@router.post("/proposals/{proposal_id}/stage", summary="Move a proposal to the next deliberation stage")
async def change_stage(
    session: SessionDep, proposal_id: ProposalId, data: StageChange, actor: Officer
) -> ProposalDetail:
    """Governance school, then intensive workshop, then coaching forum, in that order (district officers)."""
    return await service.change_stage(session, proposal_id=proposal_id, data=data, actor=actor)


@router.post("/proposals/{proposal_id}/revision", summary="Submit the revised proposal")
async def revise_proposal(
    session: SessionDep, proposal_id: ProposalId, data: RevisionCreate, actor: Proposer
) -> ProposalDetail:
    """The revised final proposal after the coaching forum (its proposer or a district officer)."""
    return await service.revise(session, proposal_id=proposal_id, data=data, actor=actor)


@router.post("/proposals/merge", status_code=201, summary="Merge proposals")
async def merge_proposals(session: SessionDep, data: MergeCreate, actor: Officer) -> ProposalDetail:
    """Merge proposals of one envelope and deliberation stage into a new one; the parents become merged."""
    return await lineage.merge(session, data=data, actor=actor)


@router.post("/proposals/{proposal_id}/split", status_code=201, summary="Split a proposal")
async def split_proposal(
    session: SessionDep, proposal_id: ProposalId, data: SplitCreate, actor: Officer
) -> ProposalDetail:
    """Split a proposal in deliberation into parts; the parent becomes split and lists its children."""
    return await lineage.split(session, proposal_id=proposal_id, data=data, actor=actor)


@router.get("/envelopes/{envelope_id}/screenings/{round}", summary="Get a screening's shortlist")
async def get_screening(
    session: SessionDep, envelope_id: EnvelopeId, round: Round, settings: Settings
) -> ScreeningOut:
    """The shortlist of a screening round with its total, cap and room left."""
    return await screening.get_screening(session, envelope_id=envelope_id, round=round, settings=settings)


@router.post("/envelopes/{envelope_id}/screenings/{round}/shortlist", summary="Shortlist a proposal")
async def shortlist_proposal(
    session: SessionDep,
    envelope_id: EnvelopeId,
    round: Round,
    data: ShortlistAdd,
    actor: CityOfficer,
    settings: Settings,
) -> ScreeningOut:
    """Put a proposal on the round's shortlist; the total may not pass the round's cap (city officers)."""
    return await screening.add_to_shortlist(
        session, envelope_id=envelope_id, round=round, data=data, actor=actor, settings=settings
    )


@router.post("/envelopes/{envelope_id}/screenings/{round}/close", summary="Close a screening round")
async def close_screening(
    session: SessionDep, envelope_id: EnvelopeId, round: Round, actor: CityOfficer, settings: Settings
) -> ScreeningOut:
    """Close the round: proposals that were waiting for it and are not shortlisted are screened out."""
    return await screening.close_screening(
        session, envelope_id=envelope_id, round=round, actor=actor, settings=settings
    )
