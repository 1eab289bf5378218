"""Reads and writes of districts' status records, latest as-of date first."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.district_status.models import DistrictStatus


async def add_status(session: AsyncSession, row: DistrictStatus) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row)


async def list_statuses(
    session: AsyncSession, *, code: str, after: tuple[date, int] | None, limit: int
) -> Sequence[DistrictStatus]:
    """Up to `limit` records of the district after the (as-of day, id) key, latest first."""
    query = (
        select(DistrictStatus)
        .where(DistrictStatus.district_code == code)
        .order_by(DistrictStatus.as_of_on.desc(), DistrictStatus.id.desc())
        .limit(limit)
    )
    if after is not None:
        after_day, after_id = after
        query = query.where(
            (DistrictStatus.as_of_on < after_day)
            | ((DistrictStatus.as_of_on == after_day) & (DistrictStatus.id < after_id))
        )
    return (await session.scalars(query)).all()


async def latest_on(session: AsyncSession, *, code: str, day: date) -> DistrictStatus | None:
    """The district's latest record as of `day`."""
    query = (
        select(DistrictStatus)
        .where(DistrictStatus.district_code == code, DistrictStatus.as_of_on <= day)
        .order_by(DistrictStatus.as_of_on.desc(), DistrictStatus.id.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()
