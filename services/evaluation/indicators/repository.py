from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.indicators.models import Indicator, Measurement


async def list_indicators(
    session: AsyncSession,
    *,
    cycle_id: int,
    scope: str | None,
    target_id: int | None,
    with_common: bool,
    after_id: int | None,
    limit: int,
) -> Sequence[Indicator]:
    """A cycle's indicators by id; `target_id` with `with_common` gives one target's whole set."""
    query = select(Indicator).where(Indicator.cycle_id == cycle_id).order_by(Indicator.id).limit(limit)
    if target_id is not None:
        own = Indicator.target_id == target_id
        query = query.where(or_(own, Indicator.target_id.is_(None)) if with_common else own)
    if scope == "common":
        query = query.where(Indicator.target_id.is_(None))
    elif scope == "specific":
        query = query.where(Indicator.target_id.is_not(None))
    if after_id is not None:
        query = query.where(Indicator.id > after_id)
    return (await session.scalars(query)).all()


async def weights(
    session: AsyncSession, *, cycle_id: int, target_ids: list[int]
) -> tuple[int, dict[int, int]]:
    """The common points of the cycle, and each target's own points."""
    common = await session.scalar(
        select(func.coalesce(func.sum(Indicator.weight), 0)).where(
            Indicator.cycle_id == cycle_id, Indicator.target_id.is_(None)
        )
    )
    rows = await session.execute(
        select(Indicator.target_id, func.sum(Indicator.weight))
        .where(Indicator.target_id.in_(target_ids))
        .group_by(Indicator.target_id)
    )
    specific = {int(target): int(points) for target, points in rows.all() if target is not None}
    return int(common or 0), specific


async def get_indicator(session: AsyncSession, indicator_id: int) -> Indicator | None:
    return await session.get(Indicator, indicator_id)


async def add(session: AsyncSession, record: Indicator | Measurement) -> None:
    session.add(record)
    await session.flush()
    await session.refresh(record)


async def delete_indicator(session: AsyncSession, indicator: Indicator) -> None:
    await session.delete(indicator)
    await session.flush()


async def get_measurement(session: AsyncSession, *, target_id: int, indicator_id: int) -> Measurement | None:
    query = select(Measurement).where(
        Measurement.target_id == target_id, Measurement.indicator_id == indicator_id
    )
    return (await session.scalars(query)).one_or_none()


async def upsert_measurement(
    session: AsyncSession, *, target_id: int, indicator_id: int, actual: Decimal, recorded_by: str
) -> Measurement:
    """The target's measured value of the indicator, inserted or replaced (stamped with this time)."""
    statement = (
        insert(Measurement)
        .values(target_id=target_id, indicator_id=indicator_id, actual=actual, recorded_by=recorded_by)
        .on_conflict_do_update(
            constraint="uq_measurements_target_id_indicator_id",
            set_={"actual": actual, "recorded_by": recorded_by, "recorded_at": func.now()},
        )
    )
    await session.execute(statement)
    measurement = await get_measurement(session, target_id=target_id, indicator_id=indicator_id)
    assert measurement is not None
    await session.refresh(measurement)
    return measurement


async def list_measurements(session: AsyncSession, target_id: int) -> Sequence[Measurement]:
    query = select(Measurement).where(Measurement.target_id == target_id).order_by(Measurement.indicator_id)
    return (await session.scalars(query)).all()
