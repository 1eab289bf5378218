from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.targets.models import Round, Target


async def list_targets(
    session: AsyncSession, *, cycle_id: int, after_id: int | None, limit: int, round: int | None
) -> Sequence[Target]:
    query = select(Target).where(Target.cycle_id == cycle_id).order_by(Target.id).limit(limit)
    if after_id is not None:
        query = query.where(Target.id > after_id)
    if round is not None:
        query = query.where(Target.round == round)
    return (await session.scalars(query)).all()


async def round_targets(session: AsyncSession, *, cycle_id: int, round: int) -> Sequence[Target]:
    query = select(Target).where(Target.cycle_id == cycle_id, Target.round == round).order_by(Target.id)
    return (await session.scalars(query)).all()


async def first_open_target(session: AsyncSession, *, cycle_id: int) -> Target | None:
    query = select(Target).where(Target.cycle_id == cycle_id, Target.opened_at.is_not(None))
    return (await session.scalars(query.order_by(Target.id).limit(1))).first()


async def get_target(session: AsyncSession, target_id: int) -> Target | None:
    return await session.get(Target, target_id)


async def find_target(session: AsyncSession, *, cycle_id: int, organization_id: int) -> Target | None:
    query = select(Target).where(Target.cycle_id == cycle_id, Target.organization_id == organization_id)
    return (await session.scalars(query)).one_or_none()


async def add_target(session: AsyncSession, target: Target) -> Target:
    session.add(target)
    await session.flush()
    await session.refresh(target)
    return target


async def open_targets(session: AsyncSession, target_ids: list[int], *, actor: str) -> datetime:
    """Mark the targets open (their trigger re-checks each one's weights); returns the opening time."""
    now = (await session.execute(select(func.now()))).scalar_one()
    await session.execute(
        update(Target).where(Target.id.in_(target_ids)).values(opened_at=now, opened_by=actor)
    )
    for target in await session.scalars(select(Target).where(Target.id.in_(target_ids))):
        await session.refresh(target)
    return now


async def get_round(session: AsyncSession, *, cycle_id: int, round: int) -> Round | None:
    return await session.get(Round, (cycle_id, round))


async def add_round(session: AsyncSession, opened: Round) -> Round:
    session.add(opened)
    await session.flush()
    await session.refresh(opened)
    return opened
