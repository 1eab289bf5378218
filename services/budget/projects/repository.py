from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.elections.models import OutcomeRecord
from services.budget.projects.models import BudgetLine, Milestone, Project, TimelineEntry


async def get_project(session: AsyncSession, project_id: int, *, lock: bool = False) -> Project | None:
    query = select(Project).where(Project.id == project_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def projects_of_election(session: AsyncSession, election_id: int) -> Sequence[Project]:
    query = select(Project).where(Project.election_id == election_id).order_by(Project.id)
    return (await session.scalars(query.execution_options(populate_existing=True))).all()


async def list_projects(
    session: AsyncSession,
    *,
    after_id: int | None,
    limit: int,
    district_code: str | None,
    election_id: int | None,
    status: str | None,
) -> Sequence[Project]:
    query = select(Project).order_by(Project.id).limit(limit)
    if after_id is not None:
        query = query.where(Project.id > after_id)
    if district_code is not None:
        query = query.where(Project.district_code == district_code)
    if election_id is not None:
        query = query.where(Project.election_id == election_id)
    if status is not None:
        query = query.where(Project.status == status)
    return (await session.scalars(query)).all()


async def insert_project(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """The new project's id, or None when the election's project already has one (idempotent creation)."""
    statement = (
        insert(Project)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["election_id", "election_project_id"])
        .returning(Project.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def insert_lines(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await session.execute(insert(BudgetLine), rows)


async def lines_of(session: AsyncSession, project_id: int, *, lock: bool = False) -> Sequence[BudgetLine]:
    query = (
        select(BudgetLine)
        .where(BudgetLine.project_id == project_id)
        .order_by(BudgetLine.position)
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).all()


async def milestones_of(session: AsyncSession, project_id: int) -> Sequence[Milestone]:
    query = (
        select(Milestone).where(Milestone.project_id == project_id).order_by(Milestone.due_on, Milestone.id)
    )
    return (await session.scalars(query.execution_options(populate_existing=True))).all()


async def get_milestone(session: AsyncSession, project_id: int, milestone_id: int) -> Milestone | None:
    query = select(Milestone).where(Milestone.id == milestone_id, Milestone.project_id == project_id)
    return (await session.scalars(query.execution_options(populate_existing=True))).one_or_none()


async def weights_total(session: AsyncSession, project_id: int) -> int:
    query = select(func.coalesce(func.sum(Milestone.weight), 0)).where(Milestone.project_id == project_id)
    return int((await session.execute(query)).scalar_one())


async def add(session: AsyncSession, record: object) -> None:
    session.add(record)
    await session.flush()


async def timeline(
    session: AsyncSession, project_id: int, *, after_id: int | None, limit: int
) -> Sequence[TimelineEntry]:
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.project_id == project_id)
        .order_by(TimelineEntry.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(TimelineEntry.id > after_id)
    return (await session.scalars(query)).all()


async def outcome(session: AsyncSession, outcome_id: int) -> OutcomeRecord:
    record = await session.get(OutcomeRecord, outcome_id)
    assert record is not None  # elections.published_outcome_id is a foreign key
    return record
