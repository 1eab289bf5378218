"""Reads and writes of the agencies' reports and self-scores (one of each per target and indicator)."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.rubrics.models import RubricLevel
from services.evaluation.submissions.models import Report, SelfScore


async def upsert_report(
    session: AsyncSession, *, target_id: int, title: str, reference: str, submitted_by: str
) -> Report:
    """The target's report, inserted or replaced (a replacement is stamped with the time of this one)."""
    statement = (
        insert(Report)
        .values(target_id=target_id, title=title, reference=reference, submitted_by=submitted_by)
        .on_conflict_do_update(
            constraint="uq_reports_target_id",
            set_={
                "title": title,
                "reference": reference,
                "submitted_by": submitted_by,
                "submitted_at": func.now(),
            },
        )
        .returning(Report)
    )
    report = (await session.scalars(statement)).one()
    await session.refresh(report)
    return report


async def get_report(session: AsyncSession, target_id: int) -> Report | None:
    return (await session.scalars(select(Report).where(Report.target_id == target_id))).one_or_none()


async def upsert_self_score(
    session: AsyncSession,
    *,
    target_id: int,
    indicator_id: int,
    value: Decimal | None,
    rubric_level_id: int | None,
    recorded_by: str,
) -> int:
    """The agency's self-score of one indicator, inserted or replaced; its id."""
    statement = (
        insert(SelfScore)
        .values(
            target_id=target_id,
            indicator_id=indicator_id,
            value=value,
            rubric_level_id=rubric_level_id,
            recorded_by=recorded_by,
        )
        .on_conflict_do_update(
            constraint="uq_self_scores_target_id_indicator_id",
            set_={
                "value": value,
                "rubric_level_id": rubric_level_id,
                "recorded_by": recorded_by,
                "recorded_at": func.now(),
            },
        )
        .returning(SelfScore.id)
    )
    score_id: int = (await session.execute(statement)).scalar_one()
    return score_id


async def list_self_scores(
    session: AsyncSession, *, target_id: int, after_id: int | None, limit: int
) -> list[tuple[SelfScore, RubricLevel | None]]:
    """The target's self-scores by id, each with its rubric level (None for a value)."""
    query = (
        select(SelfScore, RubricLevel)
        .outerjoin(RubricLevel, RubricLevel.id == SelfScore.rubric_level_id)
        .where(SelfScore.target_id == target_id)
        .order_by(SelfScore.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if after_id is not None:
        query = query.where(SelfScore.id > after_id)
    return [(score, level) for score, level in (await session.execute(query)).all()]
