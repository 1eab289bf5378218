from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.recusals.models import Recusal
from services.evaluation.targets.models import Target


async def get_recusal(session: AsyncSession, recusal_id: int, *, lock: bool = False) -> Recusal | None:
    query = select(Recusal).where(Recusal.id == recusal_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def in_effect(session: AsyncSession, *, member_id: int, target_id: int) -> Recusal | None:
    """The recusal that keeps the rater from the target (upheld first), or a pending challenge, or None."""
    query = (
        select(Recusal)
        .where(
            Recusal.panel_member_id == member_id,
            Recusal.target_id == target_id,
            (Recusal.status == "upheld") | ((Recusal.ground == "challenge") & (Recusal.status == "pending")),
        )
        .order_by(case((Recusal.status == "upheld", 0), else_=1), Recusal.id)
        .limit(1)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).first()


async def list_for_target(
    session: AsyncSession, *, target_id: int, after_id: int | None, limit: int, ground: str | None = None
) -> Sequence[Recusal]:
    query = select(Recusal).where(Recusal.target_id == target_id).order_by(Recusal.id).limit(limit)
    if after_id is not None:
        query = query.where(Recusal.id > after_id)
    if ground is not None:
        query = query.where(Recusal.ground == ground)
    return (await session.scalars(query.execution_options(populate_existing=True))).all()


async def add_recusal(session: AsyncSession, recusal: Recusal) -> Recusal:
    session.add(recusal)
    await session.flush()
    await session.refresh(recusal)
    return recusal


async def set_member_organizations(
    session: AsyncSession, *, target_id: int, organization_ids: list[int]
) -> None:
    await session.execute(
        update(Target).where(Target.id == target_id).values(member_organization_ids=organization_ids)
    )


async def now(session: AsyncSession) -> datetime:
    """The transaction's time (`now()`), as the database stamps it."""
    return (await session.execute(select(func.now()))).scalar_one()
