from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.proposals.models import (
    Proposal,
    ProposalLineage,
    ProposalReview,
    ProposalTransition,
    Screening,
    ScreeningEntry,
)


async def get_proposal(session: AsyncSession, proposal_id: int, *, lock: bool = False) -> Proposal | None:
    query = select(Proposal).where(Proposal.id == proposal_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def lock_proposals(session: AsyncSession, proposal_ids: Sequence[int]) -> Sequence[Proposal]:
    query = select(Proposal).where(Proposal.id.in_(proposal_ids)).order_by(Proposal.id).with_for_update()
    return (await session.scalars(query)).all()


async def list_proposals(
    session: AsyncSession,
    *,
    cycle_id: int,
    after_id: int | None,
    limit: int,
    district_code: str | None,
    status: str | None,
    track: str | None,
) -> Sequence[Proposal]:
    query = select(Proposal).where(Proposal.cycle_id == cycle_id).order_by(Proposal.id).limit(limit)
    if after_id is not None:
        query = query.where(Proposal.id > after_id)
    if district_code is not None:
        query = query.where(Proposal.district_code == district_code)
    if status is not None:
        query = query.where(Proposal.status == status)
    if track is not None:
        query = query.where(Proposal.track == track)
    return (await session.scalars(query)).all()


async def add(session: AsyncSession, *records: object) -> None:
    session.add_all(records)
    await session.flush()


async def set_status(session: AsyncSession, proposal: Proposal, status: str) -> None:
    """Change the status in the database (its trigger checks the step and records it)."""
    await session.execute(update(Proposal).where(Proposal.id == proposal.id).values(status=status))
    await session.refresh(proposal)


async def get_review(session: AsyncSession, proposal_id: int) -> ProposalReview | None:
    return await session.get(ProposalReview, proposal_id)


async def transitions_of(session: AsyncSession, proposal_id: int) -> Sequence[ProposalTransition]:
    query = select(ProposalTransition).where(ProposalTransition.proposal_id == proposal_id)
    return (await session.scalars(query.order_by(ProposalTransition.id))).all()


async def lineage_of(session: AsyncSession, proposal_id: int) -> Sequence[ProposalLineage]:
    query = select(ProposalLineage).where(
        (ProposalLineage.parent_id == proposal_id) | (ProposalLineage.child_id == proposal_id)
    )
    return (await session.scalars(query.order_by(ProposalLineage.parent_id, ProposalLineage.child_id))).all()


async def lock_screening(
    session: AsyncSession, *, envelope_id: int, round: int, cap_percent: int
) -> Screening:
    """The screening row, created on first use and locked: shortlist changes of a round queue up on it."""
    await session.execute(
        insert(Screening)
        .values(envelope_id=envelope_id, round=round, cap_percent=cap_percent, status="open")
        .on_conflict_do_nothing(index_elements=["envelope_id", "round"])
    )
    query = (
        select(Screening)
        .where(Screening.envelope_id == envelope_id, Screening.round == round)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one()


async def get_screening(session: AsyncSession, *, envelope_id: int, round: int) -> Screening | None:
    query = select(Screening).where(Screening.envelope_id == envelope_id, Screening.round == round)
    return (await session.scalars(query)).one_or_none()


async def shortlist_total(session: AsyncSession, screening_id: int) -> int:
    query = select(func.coalesce(func.sum(ScreeningEntry.amount_krw), 0)).where(
        ScreeningEntry.screening_id == screening_id
    )
    return int((await session.execute(query)).scalar_one())


async def shortlist(session: AsyncSession, screening_id: int) -> Sequence[tuple[ScreeningEntry, str]]:
    query = (
        select(ScreeningEntry, Proposal.title_ko)
        .join(Proposal, Proposal.id == ScreeningEntry.proposal_id)
        .where(ScreeningEntry.screening_id == screening_id)
        .order_by(ScreeningEntry.added_at, ScreeningEntry.proposal_id)
    )
    return [(entry, title) for entry, title in (await session.execute(query)).all()]


async def proposals_in_status(session: AsyncSession, envelope_id: int, status: str) -> Sequence[Proposal]:
    query = (
        select(Proposal)
        .where(Proposal.envelope_id == envelope_id, Proposal.status == status)
        .order_by(Proposal.id)
        .with_for_update()
    )
    return (await session.scalars(query)).all()
