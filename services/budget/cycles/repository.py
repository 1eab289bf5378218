from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.cycles.models import BudgetCycle


async def list_cycles(session: AsyncSession, *, before_id: int | None, limit: int) -> Sequence[BudgetCycle]:
    query = select(BudgetCycle).order_by(BudgetCycle.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(BudgetCycle.id < before_id)
    return (await session.scalars(query)).all()


async def get_cycle(session: AsyncSession, cycle_id: int) -> BudgetCycle | None:
    return await session.get(BudgetCycle, cycle_id)


async def add_cycle(session: AsyncSession, cycle: BudgetCycle) -> BudgetCycle:
    session.add(cycle)
    await session.flush()
    await session.refresh(cycle)
    return cycle
