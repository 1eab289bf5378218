from collections.abc import Sequence

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.panels.models import PanelMember, PanelMemberTie


async def lock_panel(session: AsyncSession, cycle_id: int) -> None:
    """Serialise the panel writes of a cycle (the same lock the exclusion triggers take)."""
    await session.execute(text("SELECT evaluation.lock_panel(:cycle_id)"), {"cycle_id": cycle_id})


async def get_member(session: AsyncSession, member_id: int, *, lock: bool = False) -> PanelMember | None:
    query = select(PanelMember).where(PanelMember.id == member_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def active_member(
    session: AsyncSession, *, cycle_id: int, round: int, subject: str, lock: str | None = None
) -> PanelMember | None:
    query = select(PanelMember).where(
        PanelMember.cycle_id == cycle_id,
        PanelMember.round == round,
        PanelMember.subject == subject,
        PanelMember.active,
    )
    if lock == "share":
        query = query.with_for_update(read=True)
    elif lock == "update":
        query = query.with_for_update()
    return (await session.scalars(query.execution_options(populate_existing=True))).one_or_none()


async def list_members(
    session: AsyncSession, *, cycle_id: int, round: int, after_id: int | None, limit: int
) -> Sequence[PanelMember]:
    query = (
        select(PanelMember)
        .where(PanelMember.cycle_id == cycle_id, PanelMember.round == round)
        .order_by(PanelMember.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(PanelMember.id > after_id)
    return (await session.scalars(query)).all()


async def ties_of(session: AsyncSession, member_ids: list[int]) -> Sequence[PanelMemberTie]:
    if not member_ids:
        return []
    query = (
        select(PanelMemberTie)
        .where(PanelMemberTie.panel_member_id.in_(member_ids))
        .order_by(PanelMemberTie.organization_id)
    )
    return (await session.scalars(query)).all()


async def replacements_of(session: AsyncSession, member_ids: list[int]) -> dict[int, int]:
    if not member_ids:
        return {}
    query = select(PanelMember.replaced_member_id, PanelMember.id).where(
        PanelMember.replaced_member_id.in_(member_ids)
    )
    return {int(old): int(new) for old, new in (await session.execute(query)).all() if old is not None}


async def add(session: AsyncSession, record: PanelMember | PanelMemberTie) -> None:
    session.add(record)
    await session.flush()
    await session.refresh(record)


async def remove_tie(session: AsyncSession, *, member_id: int, organization_id: int) -> bool:
    statement = delete(PanelMemberTie).where(
        PanelMemberTie.panel_member_id == member_id, PanelMemberTie.organization_id == organization_id
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
