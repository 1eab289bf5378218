"""The panel of a cycle's round: city officers appoint and replace raters; staff read it.

A rater's declared ties are rows of their own: the database computes the exclusions (제척) they cause.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.common import record_actor
from services.evaluation.cycles import service as cycles
from services.evaluation.panels import repository
from services.evaluation.panels.errors import (
    InvalidRater,
    PanelMemberExists,
    PanelMemberInactive,
    PanelMemberNotFound,
    TieExists,
    TieNotFound,
)
from services.evaluation.panels.models import PanelMember, PanelMemberTie
from services.evaluation.panels.schemas import PanelMemberIn, PanelMemberOut, ReplacementIn, TieIn, TieOut
from shared.auth import Identity
from shared.db import register_constraint
from shared.pagination import ID, Page, decode_cursor, page_of

# Two appointments of one subject racing past the check in appoint: the unique index decides.
register_constraint(
    "uq_panel_members_cycle_id_round_subject_active",
    PanelMemberExists,
    "this subject is already an active member of the round's panel",
    "body.subject",
    detail_ko="이 사용자는 이미 이 차수 평가단의 활동 위원입니다.",
)
register_constraint(
    "uq_panel_members_replaced_member_id",
    PanelMemberInactive,
    "this panel member was already replaced",
    "path.member_id",
    detail_ko="이 평가위원은 이미 교체되었습니다.",
)
register_constraint(
    "uq_panel_member_ties_panel_member_id_organization_id",
    TieExists,
    "this tie is already declared",
    "body.organization_id",
    detail_ko="이 이해관계는 이미 신고되었습니다.",
)


async def _outs(session: AsyncSession, members: list[PanelMember]) -> list[PanelMemberOut]:
    ids = [m.id for m in members]
    ties = await repository.ties_of(session, ids)
    replaced_by = await repository.replacements_of(session, ids)
    return [
        PanelMemberOut(
            id=m.id,
            cycle_id=m.cycle_id,
            round=m.round,
            subject=m.subject,
            name_ko=m.name_ko,
            rater_type=m.rater_type,
            active=m.active,
            replaced_member_id=m.replaced_member_id,
            replaced_reason=m.replaced_reason,
            replaced_by_id=replaced_by.get(m.id),
            ties=[TieOut.model_validate(t) for t in ties if t.panel_member_id == m.id],
            created_at=m.created_at,
            created_by=m.created_by,
        )
        for m in members
    ]


async def get_member(session: AsyncSession, member_id: int, *, field: str = "path.member_id") -> PanelMember:
    member = await repository.get_member(session, member_id)
    if member is None:
        raise PanelMemberNotFound(member_id, field=field)
    return member


async def read_member(session: AsyncSession, member_id: int) -> PanelMemberOut:
    return (await _outs(session, [await get_member(session, member_id)]))[0]


async def list_panel(
    session: AsyncSession, *, cycle_id: int, round: int, cursor: str | None, limit: int
) -> Page[PanelMemberOut]:
    key: list[Any] | None = decode_cursor(cursor, (ID,))
    await cycles.get_cycle(session, cycle_id)
    rows = list(
        await repository.list_members(
            session, cycle_id=cycle_id, round=round, after_id=int(key[0]) if key else None, limit=limit + 1
        )
    )
    return page_of(await _outs(session, rows), limit, lambda item: [item.id])


def _distinct_ties(ties: list[TieIn]) -> None:
    seen: set[int] = set()
    for index, tie in enumerate(ties):
        if tie.organization_id in seen:
            raise InvalidRater(
                f"organisation {tie.organization_id} is declared twice",
                detail_ko=f"기관 {tie.organization_id}이(가) 두 번 신고되었습니다",
                field=f"body.ties.{index}.organization_id",
            )
        seen.add(tie.organization_id)


async def _ensure_not_on_panel(session: AsyncSession, *, cycle_id: int, round: int, subject: str) -> None:
    existing = await repository.active_member(session, cycle_id=cycle_id, round=round, subject=subject)
    if existing is not None:
        raise PanelMemberExists(
            f"{subject} is already member {existing.id} of round {round}'s panel of cycle {cycle_id}",
            detail_ko=f"{subject}은(는) 이미 주기 {cycle_id} {round}차 평가위원({existing.id})입니다",
            field="body.subject",
        )


async def _add_member(
    session: AsyncSession,
    *,
    cycle_id: int,
    round: int,
    data: PanelMemberIn,
    actor: Identity,
    replaced: PanelMember | None = None,
    reason: str | None = None,
) -> PanelMember:
    member = PanelMember(
        cycle_id=cycle_id,
        round=round,
        subject=data.subject,
        name_ko=data.name_ko,
        rater_type=data.rater_type,
        replaced_member_id=replaced.id if replaced else None,
        replaced_reason=reason,
        created_by=actor.subject,
    )
    await repository.add(session, member)
    for tie in data.ties:
        await repository.add(
            session,
            PanelMemberTie(
                panel_member_id=member.id,
                organization_id=tie.organization_id,
                reason=tie.reason,
                created_by=actor.subject,
            ),
        )
    return member


async def appoint(
    session: AsyncSession, *, cycle_id: int, round: int, data: PanelMemberIn, actor: Identity
) -> PanelMemberOut:
    """Appoint a rater to the round's panel, with the ties it declares (exclusions follow from them)."""
    await cycles.get_cycle(session, cycle_id)
    _distinct_ties(data.ties)
    await repository.lock_panel(session, cycle_id)
    await _ensure_not_on_panel(session, cycle_id=cycle_id, round=round, subject=data.subject)
    await record_actor(session, actor)
    member = await _add_member(session, cycle_id=cycle_id, round=round, data=data, actor=actor)
    return (await _outs(session, [member]))[0]


async def replace(
    session: AsyncSession, *, member_id: int, data: ReplacementIn, actor: Identity
) -> PanelMemberOut:
    """Replace an active rater: the old one stays on record, inactive, the new one names it and why."""
    old = await get_member(session, member_id)
    _distinct_ties(data.ties)
    await repository.lock_panel(session, old.cycle_id)
    old = await repository.get_member(session, member_id, lock=True) or old
    if not old.active:
        raise PanelMemberInactive(
            f"panel member {old.id} was already replaced",
            detail_ko=f"평가위원 {old.id}은(는) 이미 교체되었습니다",
            field="path.member_id",
        )
    await record_actor(session, actor, data.reason)
    old.active = False
    await session.flush()
    await _ensure_not_on_panel(session, cycle_id=old.cycle_id, round=old.round, subject=data.subject)
    member = await _add_member(
        session,
        cycle_id=old.cycle_id,
        round=old.round,
        data=data,
        actor=actor,
        replaced=old,
        reason=data.reason,
    )
    return (await _outs(session, [member]))[0]


async def _active_for_change(session: AsyncSession, member_id: int) -> PanelMember:
    member = await get_member(session, member_id)
    await repository.lock_panel(session, member.cycle_id)
    if not member.active:
        raise PanelMemberInactive(
            f"panel member {member.id} was replaced: its ties no longer change",
            detail_ko=f"평가위원 {member.id}은(는) 교체되어 관계를 바꿀 수 없습니다",
            field="path.member_id",
        )
    return member


async def add_tie(session: AsyncSession, *, member_id: int, data: TieIn, actor: Identity) -> PanelMemberOut:
    """Declare a further tie: every target of the round it concerns excludes the rater from then on."""
    member = await _active_for_change(session, member_id)
    existing = {t.organization_id for t in await repository.ties_of(session, [member.id])}
    if data.organization_id in existing:
        raise TieExists(
            f"panel member {member.id} already declared a tie to organisation {data.organization_id}",
            detail_ko=f"평가위원 {member.id}은(는) 이미 기관 {data.organization_id}과의 관계를 신고했습니다",
            field="body.organization_id",
        )
    await record_actor(session, actor, data.reason)
    tie = PanelMemberTie(
        panel_member_id=member.id,
        organization_id=data.organization_id,
        reason=data.reason,
        created_by=actor.subject,
    )
    await repository.add(session, tie)
    return (await _outs(session, [member]))[0]


async def remove_tie(
    session: AsyncSession, *, member_id: int, organization_id: int, actor: Identity
) -> PanelMemberOut:
    """Withdraw a declared tie (declared in error): the exclusions it alone caused are lifted."""
    member = await _active_for_change(session, member_id)
    await record_actor(session, actor)
    if not await repository.remove_tie(session, member_id=member.id, organization_id=organization_id):
        raise TieNotFound(
            f"panel member {member.id} declared no tie to organisation {organization_id}",
            detail_ko=f"평가위원 {member.id}은(는) 기관 {organization_id}과의 관계를 신고하지 않았습니다",
            field="path.organization_id",
        )
    return (await _outs(session, [member]))[0]
