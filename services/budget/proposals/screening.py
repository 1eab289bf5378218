"""The two screening rounds of an envelope: the shortlist under its cap, and closing a round."""

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.common import record_actor
from services.budget.envelopes import service as envelopes
from services.budget.proposals import repository
from services.budget.proposals.errors import ProposalNotFound, ScreeningClosed, ShortlistCapExceeded
from services.budget.proposals.guards import require_status
from services.budget.proposals.models import SCREENED_OUT, SCREENING_INPUT, SHORTLISTED, ScreeningEntry
from services.budget.proposals.schemas import ScreeningEntryOut, ScreeningOut, ShortlistAdd
from services.budget.settings import BudgetSettings
from shared.auth import Identity


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
    require_status(proposal, f"screening round {round}", SCREENING_INPUT[round])
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
