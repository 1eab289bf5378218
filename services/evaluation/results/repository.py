from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.results.models import Appeal, GradeBand, Result, ResultSettings
from services.evaluation.targets.models import Target

# Every indicator of the target (the cycle's common ones and its own), each with the submitted scores of the
# given review version (none: one row with NULL scores) and its rubric's highest value. Only the scores of
# active panel members count, and none of a rater recused from the target (an exclusion upheld after the
# rater submitted, say). Core SQL: this is the hot path of a cycle's aggregation.
SCORES = text(
    """
    SELECT i.id AS indicator_id, i.weight, i.measure,
           (SELECT max(m.value) FROM evaluation.rubric_levels m WHERE m.scale_id = i.rubric_id) AS max_value,
           s.panel_member_id, s.points, l.value AS level_value, l.not_applicable
    FROM evaluation.indicators i
    LEFT JOIN (
        SELECT s.* FROM evaluation.scores s
        JOIN evaluation.panel_members p ON p.id = s.panel_member_id AND p.active
        WHERE s.target_id = :target_id AND s.version = :version AND s.status = 'submitted'
          AND NOT EXISTS (
              SELECT 1 FROM evaluation.recusals r
              WHERE r.panel_member_id = s.panel_member_id AND r.target_id = s.target_id
                AND r.status = 'upheld'
          )
    ) s ON s.indicator_id = i.id
    LEFT JOIN evaluation.rubric_levels l ON l.id = s.rubric_level_id
    WHERE i.cycle_id = :cycle_id AND (i.target_id IS NULL OR i.target_id = :target_id)
    ORDER BY i.id, s.panel_member_id
    """
)


async def scores(session: AsyncSession, *, cycle_id: int, target_id: int, version: int) -> Sequence[Row[Any]]:
    params = {"cycle_id": cycle_id, "target_id": target_id, "version": version}
    return (await session.execute(SCORES, params)).all()


async def lock_target(session: AsyncSession, target_id: int) -> Row[Any] | None:
    """The target row, locked: every step of a target's result is serialised on it."""
    query = text(
        "SELECT id, cycle_id, organization_id, grant_id, opened_at, review_version, round"
        " FROM evaluation.targets WHERE id = :id FOR UPDATE"
    )
    return (await session.execute(query, {"id": target_id})).one_or_none()


async def share_cycle(session: AsyncSession, cycle_id: int) -> None:
    """Hold the cycle row FOR SHARE: a change of its settings (FOR UPDATE) and this step are ordered."""
    await session.execute(text("SELECT 1 FROM evaluation.cycles WHERE id = :id FOR SHARE"), {"id": cycle_id})


async def set_review_version(session: AsyncSession, target_id: int, version: int) -> None:
    await session.execute(
        text("UPDATE evaluation.targets SET review_version = :v WHERE id = :id"),
        {"v": version, "id": target_id},
    )


async def get_settings(session: AsyncSession, cycle_id: int) -> ResultSettings | None:
    return (
        await session.scalars(select(ResultSettings).where(ResultSettings.cycle_id == cycle_id))
    ).one_or_none()


async def get_bands(session: AsyncSession, cycle_id: int) -> Sequence[GradeBand]:
    query = select(GradeBand).where(GradeBand.cycle_id == cycle_id).order_by(GradeBand.min_total.desc())
    return (await session.scalars(query)).all()


async def put_settings(
    session: AsyncSession, *, cycle_id: int, method: str, min_panel_size: int, actor: str
) -> ResultSettings:
    values = {"aggregation_method": method, "min_panel_size": min_panel_size, "updated_by": actor}
    statement = (
        insert(ResultSettings)
        .values(cycle_id=cycle_id, **values)
        .on_conflict_do_update(
            constraint="uq_result_settings_cycle_id", set_={**values, "updated_at": func.now()}
        )
        .returning(ResultSettings)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).one()


async def replace_bands(session: AsyncSession, *, cycle_id: int, bands: list[tuple[Any, str]]) -> None:
    await session.execute(delete(GradeBand).where(GradeBand.cycle_id == cycle_id))
    session.add_all(GradeBand(cycle_id=cycle_id, min_total=m, category=c) for m, c in bands)
    await session.flush()


async def confirmed_in_cycle(session: AsyncSession, cycle_id: int) -> int | None:
    """A confirmed (or published) result's id in the cycle, if any: the settings it was computed with stay."""
    query = text(
        "SELECT r.id FROM evaluation.results r JOIN evaluation.targets t ON t.id = r.target_id"
        " WHERE t.cycle_id = :cycle_id AND r.status IN ('confirmed', 'published') ORDER BY r.id LIMIT 1"
    )
    return (await session.execute(query, {"cycle_id": cycle_id})).scalar_one_or_none()


async def results_of(session: AsyncSession, target_id: int) -> Sequence[Result]:
    query = (
        select(Result)
        .where(Result.target_id == target_id)
        .order_by(Result.review_version.desc())
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).all()


async def get_result(session: AsyncSession, *, target_id: int, version: int) -> Result | None:
    query = (
        select(Result)
        .where(Result.target_id == target_id, Result.review_version == version)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one_or_none()


async def upsert_result(
    session: AsyncSession,
    *,
    target_id: int,
    version: int,
    total: str,
    total_display: str,
    arithmetic: dict[str, Any],
    actor: str,
) -> int | None:
    """Insert or recompute the version's result while it is still open (draft or re_reviewed); None if not."""
    status = "draft" if version == 1 else "re_reviewed"
    computed = {
        "total": total,
        "total_display": total_display,
        "arithmetic": arithmetic,
        "computed_by": actor,
        "computed_at": func.now(),
    }
    statement = (
        insert(Result)
        .values(target_id=target_id, review_version=version, status=status, **computed)
        .on_conflict_do_update(
            constraint="uq_results_target_id_review_version",
            set_=computed,
            where=Result.status.in_(("draft", "re_reviewed")),
        )
        .returning(Result.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def list_results(
    session: AsyncSession, *, cycle_id: int, after_id: int | None, limit: int, published_only: bool
) -> Sequence[tuple[Result, int]]:
    """A cycle's results by id (every version), each with its target's cycle id."""
    query = (
        select(Result, Target.cycle_id)
        .join(Target, Target.id == Result.target_id)
        .where(Target.cycle_id == cycle_id)
        .order_by(Result.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Result.id > after_id)
    if published_only:
        query = query.where(Result.status == "published")
    return [(result, cycle) for result, cycle in (await session.execute(query)).all()]


async def appeals_of(session: AsyncSession, target_ids: list[int]) -> dict[int, Appeal]:
    query = select(Appeal).where(Appeal.target_id.in_(target_ids))
    return {appeal.target_id: appeal for appeal in await session.scalars(query)}


async def appeal_of(session: AsyncSession, target_id: int) -> Appeal | None:
    query = select(Appeal).where(Appeal.target_id == target_id).execution_options(populate_existing=True)
    return (await session.scalars(query)).one_or_none()


async def add_appeal(session: AsyncSession, record: Appeal) -> Appeal:
    session.add(record)
    await session.flush()
    await session.refresh(record)
    return record


async def now(session: AsyncSession) -> datetime:
    return (await session.execute(select(func.now()))).scalar_one()
