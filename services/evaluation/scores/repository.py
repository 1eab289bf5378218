from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.indicators.models import Indicator
from services.evaluation.panels.models import PanelMember
from services.evaluation.rubrics.models import RubricLevel
from services.evaluation.scores.models import Score

ScoreRow = tuple[Score, RubricLevel | None, str]


async def target_indicators(session: AsyncSession, *, cycle_id: int, target_id: int) -> Sequence[Indicator]:
    """The target's indicators: the cycle's common ones and its own."""
    query = (
        select(Indicator)
        .where(
            Indicator.cycle_id == cycle_id,
            or_(Indicator.target_id.is_(None), Indicator.target_id == target_id),
        )
        .order_by(Indicator.id)
    )
    return (await session.scalars(query)).all()


async def upsert_draft(
    session: AsyncSession,
    *,
    target_id: int,
    indicator_id: int,
    member_id: int,
    version: int,
    points: Decimal | None,
    level_id: int | None,
) -> int:
    statement = (
        insert(Score)
        .values(
            target_id=target_id,
            indicator_id=indicator_id,
            panel_member_id=member_id,
            version=version,
            points=points,
            rubric_level_id=level_id,
            status="draft",
        )
        .on_conflict_do_update(
            constraint="uq_scores_target_id_indicator_id_panel_member_id_version",
            set_={"points": points, "rubric_level_id": level_id},
        )
        .returning(Score.id)
    )
    return int((await session.execute(statement)).scalar_one())


async def submit(session: AsyncSession, *, target_id: int, member_id: int, version: int) -> None:
    await session.execute(
        update(Score)
        .where(
            Score.target_id == target_id,
            Score.panel_member_id == member_id,
            Score.version == version,
            Score.status == "draft",
        )
        .values(status="submitted")
    )


async def rows(
    session: AsyncSession,
    *,
    target_id: int,
    version: int,
    member_id: int | None = None,
    after_id: int | None = None,
    limit: int | None = None,
    ids: list[int] | None = None,
    submitted_or_of: int | None = None,
) -> Sequence[ScoreRow]:
    query = (
        select(Score, RubricLevel, PanelMember.rater_type)
        .join(PanelMember, PanelMember.id == Score.panel_member_id)
        .outerjoin(RubricLevel, RubricLevel.id == Score.rubric_level_id)
        .where(Score.target_id == target_id, Score.version == version)
        .order_by(Score.id)
        .execution_options(populate_existing=True)
    )
    if member_id is not None:
        query = query.where(Score.panel_member_id == member_id)
    if after_id is not None:
        query = query.where(Score.id > after_id)
    if ids is not None:
        query = query.where(Score.id.in_(ids))
    if submitted_or_of is not None:  # a rater: the others' submitted scores and its own
        query = query.where(or_(Score.status == "submitted", Score.panel_member_id == submitted_or_of))
    if limit is not None:
        query = query.limit(limit)
    return [(score, level, rater_type) for score, level, rater_type in (await session.execute(query)).all()]
