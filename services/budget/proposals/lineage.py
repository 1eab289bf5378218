"""Merging proposals into one and splitting one into several during deliberation, and the lineage kept."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.common import record_actor
from services.budget.proposals import repository
from services.budget.proposals.errors import LineageMismatch, ProposalNotFound
from services.budget.proposals.guards import ensure_manages, locked_proposal, require_status
from services.budget.proposals.models import DELIBERATION_STAGES, Proposal, ProposalLineage
from services.budget.proposals.schemas import MergeCreate, ProposalDetail, SplitCreate
from services.budget.proposals.service import get_detail
from shared.auth import Identity


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
        require_status(parent, "merging", *DELIBERATION_STAGES)
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
    parent = await locked_proposal(session, proposal_id)
    ensure_manages(actor, parent)
    require_status(parent, "splitting", *DELIBERATION_STAGES)
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
