"""Reads of districts and their region groupings."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.councils.districts.models import District, Region, RegionGrouping, RegionMember


async def list_districts(
    session: AsyncSession,
    *,
    after_code: str | None,
    limit: int,
    region_code: str | None,
    grouping: str | None,
) -> Sequence[District]:
    query = (
        select(District)
        .options(selectinload(District.region_memberships).selectinload(RegionMember.region))
        .order_by(District.code)
        .limit(limit)
    )
    if after_code is not None:
        query = query.where(District.code > after_code)
    if region_code is not None:
        members = select(RegionMember.district_code).join(Region).where(Region.code == region_code)
        if grouping is not None:
            members = members.where(Region.grouping_code == grouping)
        query = query.where(District.code.in_(members))
    return (await session.scalars(query)).all()


async def get_district(session: AsyncSession, code: str) -> District | None:
    query = (
        select(District)
        .options(selectinload(District.region_memberships).selectinload(RegionMember.region))
        .where(District.code == code)
    )
    return (await session.scalars(query)).one_or_none()


async def list_groupings(session: AsyncSession) -> Sequence[RegionGrouping]:
    query = (
        select(RegionGrouping)
        .options(selectinload(RegionGrouping.regions).selectinload(Region.members))
        .order_by(RegionGrouping.code)
    )
    return (await session.scalars(query)).all()


async def grouping_exists(session: AsyncSession, code: str) -> bool:
    return await session.get(RegionGrouping, code) is not None
