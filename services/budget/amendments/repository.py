from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.amendments.models import Amendment
from services.budget.projects.models import BudgetLine, Project


async def get_amendment(session: AsyncSession, amendment_id: int, *, lock: bool = False) -> Amendment | None:
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


async def claim_pending_council(
    session: AsyncSession, *, checked_before_seconds: float, limit: int
) -> Sequence[Row[int, int, int | None, str, date]]:
    """Up to `limit` amendments waiting for councils and not asked in the last `checked_before_seconds`
    (id, project id, decision id, district, requested on), never asked first; rows another transaction holds
    are skipped. They are stamped `council_checked_at` now, which keeps other replicas off them."""
    query = (
        select(
            Amendment.id,
            Amendment.project_id,
            Amendment.council_decision_id,
            Project.district_code,
            Amendment.requested_on,
        )
        .join(Project, Project.id == Amendment.project_id)
        .where(
            Amendment.status == "pending_council",
            (Amendment.council_checked_at.is_(None))
            | (
                Amendment.council_checked_at
                <= func.clock_timestamp() - timedelta(seconds=checked_before_seconds)
            ),
        )
        .order_by(Amendment.council_checked_at.asc().nulls_first(), Amendment.id)
        .limit(limit)
        .with_for_update(of=Amendment, skip_locked=True)
    )
    rows = (await session.execute(query)).all()
    if rows:
        stamp = update(Amendment).where(Amendment.id.in_([row[0] for row in rows]))
        await session.execute(stamp.values(council_checked_at=func.now()))
    return rows
