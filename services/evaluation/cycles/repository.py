from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.cycles.models import EvaluationCycle


async def list_cycles(
    session: AsyncSession, *, before_id: int | None, limit: int, year: int | None
) -> Sequence[EvaluationCycle]:
    query = select(EvaluationCycle).order_by(EvaluationCycle.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(EvaluationCycle.id < before_id)
    if year is not None:
        query = query.where(EvaluationCycle.year == year)
    return (await session.scalars(query)).all()


async def get_cycle(session: AsyncSession, cycle_id: int, *, lock: bool = False) -> EvaluationCycle | None:
    query = select(EvaluationCycle).where(EvaluationCycle.id == cycle_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def add_cycle(session: AsyncSession, cycle: EvaluationCycle) -> EvaluationCycle:
    session.add(cycle)
    await session.flush()
    await session.refresh(cycle)
    return cycle
