"""The proposal lifecycle: submission, review, first screening, deliberation, revision, second screening."""

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.common import record_actor
from services.budget.cycles import service as cycles
from services.budget.envelopes import repository as envelopes_repo
from services.budget.envelopes import service as envelopes
from services.budget.proposals import repository
from services.budget.proposals.errors import (
    InvalidTransition,
    LineageMismatch,
    NoEnvelope,
    ProposalNotFound,
    ScreeningClosed,
    ShortlistCapExceeded,
)
from services.budget.proposals.models import (
    DELIBERATION_STAGES,
    SCREENED_OUT,
    SCREENING_INPUT,
    SHORTLISTED,
    Proposal,
    ProposalLineage,
    ProposalReview,
    ScreeningEntry,
)
from services.budget.proposals.schemas import (
    LineageOut,
    MergeCreate,
    ProposalCreate,
    ProposalDetail,
    ProposalOut,
    ReviewCreate,
    ReviewOut,
    RevisionCreate,
    ScreeningEntryOut,
    ScreeningOut,
    ShortlistAdd,
    SplitCreate,
    StageChange,
    TransitionOut,
)
from services.budget.settings import BudgetSettings
from shared.auth import Identity, Role, ensure_district_access
from shared.pagination import ID, Page, decode_cursor, page_of
from shared.problems import FieldError, Forbidden, RuleViolation


def ensure_manages(actor: Identity, proposal: Proposal) -> None:
    """District officers manage their district's proposals; city-level ones are the city's."""
    if proposal.district_code is None:
        if actor.role not in (Role.city_officer, Role.admin):
            raise Forbidden(
                f"proposal {proposal.id} is city-level: only city officers manage it",
                detail_ko=f"제안 {proposal.id}은(는) 시 단위 제안이므로 시 공무원만 관리합니다.",
            )
        return
    ensure_district_access(actor, proposal.district_code)


def _require_status(proposal: Proposal, step: str, *allowed: str) -> None:
    if proposal.status not in allowed:
        raise InvalidTransition(proposal.id, proposal.status, step, " or ".join(allowed))


async def _locked(session: AsyncSession, proposal_id: int) -> Proposal:
    proposal = await repository.get_proposal(session, proposal_id, lock=True)
    if proposal is None:
        raise ProposalNotFound(proposal_id)
    return proposal


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
    proposal = await _locked(session, proposal_id)
    ensure_manages(actor, proposal)
    _require_status(proposal, "a review", "submitted")
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
    proposal = await _locked(session, proposal_id)
    ensure_manages(actor, proposal)
    previous = {"governance_school": "shortlisted_1"} | dict(
        zip(DELIBERATION_STAGES[1:], DELIBERATION_STAGES[:-1], strict=True)
    )
    _require_status(proposal, f"moving to {data.stage}", previous[data.stage])
    await record_actor(session, actor, data.note)
    await repository.set_status(session, proposal, data.stage)
    return await get_detail(session, proposal.id)


async def revise(
    session: AsyncSession, *, proposal_id: int, data: RevisionCreate, actor: Identity
) -> ProposalDetail:
    proposal = await _locked(session, proposal_id)
    if actor.subject != proposal.submitted_by:
        ensure_manages(actor, proposal)
    _require_status(proposal, "a revised submission", "coaching_forum")
    if data.title_ko is not None:
        proposal.title_ko = data.title_ko
    if data.summary is not None:
        proposal.summary = data.summary
    proposal.amount_krw = data.amount_krw
    await session.flush()
    await record_actor(session, actor, data.note or f"revised amount {data.amount_krw:,} KRW")
    await repository.set_status(session, proposal, "revised")
    return await get_detail(session, proposal.id)


async def merge(session: AsyncSession, *, data: MergeCreate, actor: Identity) -> ProposalDetail:
    ids = sorted(set(data.proposal_ids))
    if len(ids) != len(data.proposal_ids):
        raise LineageMismatch(
            "a proposal is listed twice", detail_ko="같은 제안이 두 번 있습니다.", field="body.proposal_ids"
        )
    parents = await repository.lock_proposals(session, ids)
    found = {p.id for p in parents}
    for proposal_id in ids:
        if proposal_id not in found:
            raise ProposalNotFound(proposal_id, field="body.proposal_ids")
    for parent in parents:
        ensure_manages(actor, parent)
        _require_status(parent, "merging", *DELIBERATION_STAGES)
    if len({(p.envelope_id, p.status) for p in parents}) != 1:
        raise LineageMismatch(
            "merged proposals must share one envelope and one deliberation stage",
            detail_ko="병합할 제안은 같은 예산 한도와 같은 숙의 단계에 있어야 합니다.",
            field="body.proposal_ids",
        )
    first = parents[0]
    child = Proposal(
        cycle_id=first.cycle_id,
        envelope_id=first.envelope_id,
        district_code=first.district_code,
        track=first.track,
        channel=first.channel,
        title_ko=data.title_ko,
        summary=data.summary,
        requested_krw=data.amount_krw,
        amount_krw=data.amount_krw,
        status=first.status,
        submitted_by=actor.subject,
    )
    await record_actor(session, actor, data.note or f"merged from {', '.join(map(str, ids))}")
    await repository.add(session, child)
    await _link(session, parents, [child], "merge", data.note, actor)
    return await get_detail(session, child.id)


async def split(
    session: AsyncSession, *, proposal_id: int, data: SplitCreate, actor: Identity
) -> ProposalDetail:
    parent = await _locked(session, proposal_id)
    ensure_manages(actor, parent)
    _require_status(parent, "splitting", *DELIBERATION_STAGES)
    children = [
        Proposal(
            cycle_id=parent.cycle_id,
            envelope_id=parent.envelope_id,
            district_code=parent.district_code,
            track=parent.track,
            channel=parent.channel,
            title_ko=part.title_ko,
            summary=part.summary,
            requested_krw=part.amount_krw,
            amount_krw=part.amount_krw,
            status=parent.status,
            submitted_by=parent.submitted_by,
        )
        for part in data.parts
    ]
    await record_actor(session, actor, data.note or f"split from {parent.id}")
    await repository.add(session, *children)
    await _link(session, [parent], children, "split", data.note, actor)
    return await get_detail(session, parent.id)


async def _link(
    session: AsyncSession,
    parents: Sequence[Proposal],
    children: Sequence[Proposal],
    kind: str,
    note: str | None,
    actor: Identity,
) -> None:
    stage = parents[0].status
    await repository.add(
        session,
        *[
            ProposalLineage(
                parent_id=parent.id,
                child_id=child.id,
                kind=kind,
                stage=stage,
                note=note,
                created_by=actor.subject,
            )
            for parent in parents
            for child in children
        ],
    )
    for parent in parents:
        await repository.set_status(session, parent, "merged" if kind == "merge" else "split")


def _cap_percent(settings: BudgetSettings, round: int) -> int:
    return settings.first_screening_cap_percent if round == 1 else settings.second_screening_cap_percent


async def get_screening(
    session: AsyncSession, *, envelope_id: int, round: int, settings: BudgetSettings
) -> ScreeningOut:
    envelope = await envelopes.get_envelope(session, envelope_id)
    screening = await repository.get_screening(session, envelope_id=envelope_id, round=round)
    if screening is None:
        cap, status, entries = _cap_percent(settings, round), "open", []
    else:
        cap, status = screening.cap_percent, screening.status
        entries = list(await repository.shortlist(session, screening.id))
    total = sum(entry.amount_krw for entry, _ in entries)
    cap_krw = envelope.amount_krw * cap // 100
    return ScreeningOut(
        envelope_id=envelope_id,
        round=round,
        status=status,
        cap_percent=cap,
        envelope_krw=envelope.amount_krw,
        cap_krw=cap_krw,
        total_krw=total,
        remaining_krw=cap_krw - total,
        entries=[
            ScreeningEntryOut(
                proposal_id=entry.proposal_id,
                title_ko=title,
                amount_krw=entry.amount_krw,
                added_by=entry.added_by,
                added_at=entry.added_at,
            )
            for entry, title in entries
        ],
    )


async def add_to_shortlist(
    session: AsyncSession,
    *,
    envelope_id: int,
    round: int,
    data: ShortlistAdd,
    actor: Identity,
    settings: BudgetSettings,
) -> ScreeningOut:
    envelope = await envelopes.get_envelope(session, envelope_id)
    # Lock order everywhere: screening row, then proposal. The trigger re-checks the cap under the same lock.
    screening = await repository.lock_screening(
        session, envelope_id=envelope_id, round=round, cap_percent=_cap_percent(settings, round)
    )
    if screening.status != "open":
        raise ScreeningClosed(
            f"screening round {round} of envelope {envelope_id} is closed",
            detail_ko=f"예산 한도 {envelope_id}의 {round}차 심사는 마감되었습니다.",
        )
    proposal = await repository.get_proposal(session, data.proposal_id, lock=True)
    if proposal is None or proposal.envelope_id != envelope_id:
        raise ProposalNotFound(data.proposal_id, field="body.proposal_id")
    _require_status(proposal, f"screening round {round}", SCREENING_INPUT[round])
    total = await repository.shortlist_total(session, screening.id) + proposal.amount_krw
    if total * 100 > envelope.amount_krw * screening.cap_percent:
        cap_krw = envelope.amount_krw * screening.cap_percent // 100
        raise ShortlistCapExceeded(
            f"adding proposal {proposal.id} ({proposal.amount_krw:,} KRW) makes the shortlist {total:,} KRW, "
            f"over {screening.cap_percent} % of the envelope ({envelope.amount_krw:,} KRW): "
            f"at most {cap_krw:,} KRW",
            detail_ko=(
                f"제안 {proposal.id}({proposal.amount_krw:,}원)을 추가하면 1차 선정 목록이 {total:,}원이 되어"
                f" 예산 한도({envelope.amount_krw:,}원)의 {screening.cap_percent} %를 넘습니다:"
                f" 최대 {cap_krw:,}원"
            ),
            field="body.proposal_id",
            extra={"total_krw": total, "cap_krw": cap_krw},
        )
    await record_actor(session, actor, data.note or f"shortlisted in screening round {round}")
    await repository.add(
        session,
        ScreeningEntry(
            screening_id=screening.id,
            proposal_id=proposal.id,
            amount_krw=proposal.amount_krw,
            added_by=actor.subject,
        ),
    )
    await repository.set_status(session, proposal, SHORTLISTED[round])
    return await get_screening(session, envelope_id=envelope_id, round=round, settings=settings)


async def close_screening(
    session: AsyncSession, *, envelope_id: int, round: int, actor: Identity, settings: BudgetSettings
) -> ScreeningOut:
    """Close a round: proposals still waiting for it are screened out."""
    await envelopes.get_envelope(session, envelope_id)
    screening = await repository.lock_screening(
        session, envelope_id=envelope_id, round=round, cap_percent=_cap_percent(settings, round)
    )
    if screening.status != "open":
        raise ScreeningClosed(
            f"screening round {round} of envelope {envelope_id} is already closed",
            detail_ko=f"예산 한도 {envelope_id}의 {round}차 심사는 이미 마감되었습니다.",
        )
    await record_actor(session, actor, f"not shortlisted in screening round {round}")
    for proposal in await repository.proposals_in_status(session, envelope_id, SCREENING_INPUT[round]):
        await repository.set_status(session, proposal, SCREENED_OUT[round])
    screening.status = "closed"
    screening.closed_by = actor.subject
    screening.closed_at = func.now()
    await session.flush()
    await session.refresh(screening)
    return await get_screening(session, envelope_id=envelope_id, round=round, settings=settings)


async def decide(
    session: AsyncSession, *, proposal_ids_selected: set[int], envelope_id: int, actor: Identity, reason: str
) -> None:
    """Final selection: the envelope's round-2 shortlist becomes selected or not selected."""
    await record_actor(session, actor, reason)
    for proposal in await repository.proposals_in_status(session, envelope_id, SHORTLISTED[2]):
        await repository.set_status(
            session, proposal, "selected" if proposal.id in proposal_ids_selected else "not_selected"
        )
