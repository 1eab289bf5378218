from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.rubrics.models import RubricLevel, RubricScale


async def list_scales(
    session: AsyncSession, *, cycle_id: int, after_id: int | None, limit: int
) -> Sequence[RubricScale]:
    query = select(RubricScale).where(RubricScale.cycle_id == cycle_id).order_by(RubricScale.id).limit(limit)
    if after_id is not None:
        query = query.where(RubricScale.id > after_id)
    return (await session.scalars(query)).all()


async def get_scale(session: AsyncSession, scale_id: int) -> RubricScale | None:
    return await session.get(RubricScale, scale_id)


async def levels_of(session: AsyncSession, scale_ids: list[int]) -> Sequence[RubricLevel]:
    query = select(RubricLevel).where(RubricLevel.scale_id.in_(scale_ids)).order_by(RubricLevel.position)
    return (await session.scalars(query)).all()


async def level_at(session: AsyncSession, *, rubric_id: int, position: int) -> RubricLevel | None:
    query = select(RubricLevel).where(RubricLevel.scale_id == rubric_id, RubricLevel.position == position)
    return (await session.scalars(query)).one_or_none()


async def add_scale(session: AsyncSession, scale: RubricScale, levels: list[RubricLevel]) -> RubricScale:
    session.add(scale)
    await session.flush()
    for level in levels:
        level.scale_id = scale.id
    session.add_all(levels)
    await session.flush()
    await session.refresh(scale)
    return scale
