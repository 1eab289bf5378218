"""The proposal lifecycle: submission, review, deliberation stages, revision and the final selection.

Merging and splitting are in `lineage`, the two screening rounds in `screening`.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.common import record_actor
from services.budget.cycles import service as cycles
from services.budget.envelopes import repository as envelopes_repo
from services.budget.proposals import repository
from services.budget.proposals.errors import NoEnvelope, ProposalNotFound
from services.budget.proposals.guards import ensure_manages, locked_proposal, require_status
from services.budget.proposals.models import DELIBERATION_STAGES, SHORTLISTED, Proposal, ProposalReview
from services.budget.proposals.schemas import (
    LineageOut,
    ProposalCreate,
    ProposalDetail,
    ProposalOut,
    ReviewCreate,
    ReviewOut,
    RevisionCreate,
    StageChange,
    TransitionOut,
)
from shared.auth import Identity, Role, ensure_district_access
from shared.pagination import ID, Page, decode_cursor, page_of
from shared.problems import FieldError, Forbidden, RuleViolation


async def submit(
    session: AsyncSession, *, cycle_id: int, data: ProposalCreate, actor: Identity
) -> ProposalOut:
    await cycles.get_cycle(session, cycle_id)
    if actor.role == Role.district_officer:
        if data.district_code is None:
            raise Forbidden(
                "district officers enter proposals of their own district only",
                detail_ko="자치구 공무원은 자기 자치구의 제안만 등록할 수 있습니다.",
            )
        ensure_district_access(actor, data.district_code)
    envelope = await envelopes_repo.find_envelope(
        session, cycle_id=cycle_id, district_code=data.district_code, track=data.track
    )
    if envelope is None:
        where = f"district {data.district_code}" if data.district_code else "the city"
        raise NoEnvelope(
            f"cycle {cycle_id} has no {data.track} envelope for {where}",
            detail_ko=(
                f"주기 {cycle_id}에는 {'자치구 ' + data.district_code if data.district_code else '서울시'}"
                f"의 {data.track} 예산 한도가 없습니다."
            ),
            field="body.district_code",
        )
    await record_actor(session, actor, f"submitted via {data.channel}")
    proposal = Proposal(
        **data.model_dump(),
        cycle_id=cycle_id,
        envelope_id=envelope.id,
        amount_krw=data.requested_krw,
        status="submitted",
        submitted_by=actor.subject,
    )
    await repository.add(session, proposal)
    await session.refresh(proposal)
    return ProposalOut.model_validate(proposal)


async def list_proposals(
    session: AsyncSession,
    *,
    cycle_id: int,
    cursor: str | None,
    limit: int,
    district_code: str | None,
    status: str | None,
    track: str | None,
) -> Page[ProposalOut]:
    key = decode_cursor(cursor, (ID,))
    await cycles.get_cycle(session, cycle_id)
    rows = await repository.list_proposals(
        session,
        cycle_id=cycle_id,
        after_id=int(key[0]) if key else None,
        limit=limit + 1,
        district_code=district_code,
        status=status,
        track=track,
    )
    return page_of([ProposalOut.model_validate(row) for row in rows], limit, lambda item: [item.id])


async def get_detail(session: AsyncSession, proposal_id: int) -> ProposalDetail:
    proposal = await repository.get_proposal(session, proposal_id)
    if proposal is None:
        raise ProposalNotFound(proposal_id)
    review = await repository.get_review(session, proposal_id)
    lineage = await repository.lineage_of(session, proposal_id)
    return ProposalDetail(
        **ProposalOut.model_validate(proposal).model_dump(),
        review=ReviewOut.model_validate(review) if review else None,
        transitions=[
            TransitionOut.model_validate(t) for t in await repository.transitions_of(session, proposal_id)
        ],
        parents=[LineageOut.model_validate(row) for row in lineage if row.child_id == proposal_id],
        children=[LineageOut.model_validate(row) for row in lineage if row.parent_id == proposal_id],
    )


async def review(
    session: AsyncSession, *, proposal_id: int, data: ReviewCreate, actor: Identity
) -> ProposalDetail:
    proposal = await locked_proposal(session, proposal_id)
    ensure_manages(actor, proposal)
    require_status(proposal, "a review", "submitted")
    missing = [
        field
        for failed, field in (
            (not data.legal_valid, "legal_note"),
            (data.already_funded, "funded_note"),
            (not data.feasible, "feasibility_note"),
        )
        if failed and not getattr(data, field)
    ]
    if missing:
        raise RuleViolation(
            "a failed review criterion needs its reason",
            detail_ko="부적합으로 판정한 심사 기준에는 사유가 필요합니다.",
            errors=[
                FieldError(
                    field=f"body.{field}",
                    message="the reason is required",
                    message_ko="사유를 입력해야 합니다.",
                )
                for field in missing
            ],
        )
    accepted = data.legal_valid and not data.already_funded and data.feasible
    decision = "accepted" if accepted else "rejected"
    reasons = [note for note in (data.legal_note, data.funded_note, data.feasibility_note) if note]
    await record_actor(session, actor, "; ".join(reasons) or "review passed")
    await repository.add(
        session,
        ProposalReview(
            **data.model_dump(), proposal_id=proposal.id, decision=decision, reviewed_by=actor.subject
        ),
    )
    await repository.set_status(session, proposal, decision)
    return await get_detail(session, proposal.id)


async def change_stage(
    session: AsyncSession, *, proposal_id: int, data: StageChange, actor: Identity
) -> ProposalDetail:
    proposal = await locked_proposal(session, proposal_id)
    ensure_manages(actor, proposal)
    previous = {"governance_school": "shortlisted_1"} | dict(
        zip(DELIBERATION_STAGES[1:], DELIBERATION_STAGES[:-1], strict=True)
    )
    require_status(proposal, f"moving to {data.stage}", previous[data.stage])
    await record_actor(session, actor, data.note)
    await repository.set_status(session, proposal, data.stage)
    return await get_detail(session, proposal.id)


async def revise(
    session: AsyncSession, *, proposal_id: int, data: RevisionCreate, actor: Identity
) -> ProposalDetail:
    proposal = await locked_proposal(session, proposal_id)
    if actor.subject != proposal.submitted_by:
        ensure_manages(actor, proposal)
    require_status(proposal, "a revised submission", "coaching_forum")
    if data.title_ko is not None:
        proposal.title_ko = data.title_ko
    if data.summary is not None:
        proposal.summary = data.summary
    proposal.amount_krw = data.amount_krw
    await session.flush()
    await record_actor(session, actor, data.note or f"revised amount {data.amount_krw:,} KRW")
    await repository.set_status(session, proposal, "revised")
    return await get_detail(session, proposal.id)


async def decide(
    session: AsyncSession, *, proposal_ids_selected: set[int], envelope_id: int, actor: Identity, reason: str
) -> None:
    """Final selection: the envelope's round-2 shortlist becomes selected or not selected."""
    await record_actor(session, actor, reason)
    for proposal in await repository.proposals_in_status(session, envelope_id, SHORTLISTED[2]):
        await repository.set_status(
            session, proposal, "selected" if proposal.id in proposal_ids_selected else "not_selected"
        )
