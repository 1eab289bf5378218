from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.amendments.models import Amendment
from services.budget.projects.models import BudgetLine


async def get(session: AsyncSession, amendment_id: int, *, lock: bool = False) -> Amendment | None:
    query = select(Amendment).where(Amendment.id == amendment_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def open_of(session: AsyncSession, project_id: int) -> Amendment | None:
    query = select(Amendment).where(
        Amendment.project_id == project_id, Amendment.status.in_(("pending_council", "requested"))
    )
    return (await session.scalars(query)).one_or_none()


async def of_project(session: AsyncSession, project_id: int) -> Sequence[Amendment]:
    query = select(Amendment).where(Amendment.project_id == project_id).order_by(Amendment.id)
    return (await session.scalars(query)).all()


async def next_position(session: AsyncSession, project_id: int) -> int:
    query = select(func.coalesce(func.max(BudgetLine.position), 0)).where(BudgetLine.project_id == project_id)
    return int((await session.execute(query)).scalar_one()) + 1


async def add(session: AsyncSession, record: object) -> None:
    session.add(record)
    await session.flush()
