"""Reads of districts and their region groupings.

A district read is the registry's hottest path (every composed overview starts with one), so the district
reads are one Core statement each, built once with bind parameters: the districts left-joined to their
regions, returned as plain rows, one per (district, region). No ORM objects, no relationship loads, no
statement built per request. Rows come ordered by district code; a district without a region has one row
whose region columns are NULL.
"""

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Integer, Row, Select, String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.councils.districts.models import District, Region, RegionGrouping, RegionMember
from shared.driver import Statement

# code, name_ko, name_en, then the region's grouping, code, name_ko, name_en (all NULL for no region).
DistrictRow = Row[str, str, str | None, str | None, str | None, str | None, str | None]
_DistrictSelect = Select[str, str, str | None, str | None, str | None, str | None, str | None]

_districts = District.__table__
_regions = Region.__table__
_members = RegionMember.__table__
_groupings = RegionGrouping.__table__


def _with_regions(districts: Any) -> _DistrictSelect:
    """`districts` (the table or a page of it) with one `DistrictRow` per region of each district, by code."""
    return (
        select(
            districts.c.code,
            districts.c.name_ko,
            districts.c.name_en,
            _regions.c.grouping_code.label("region_grouping"),
            _regions.c.code.label("region_code"),
            _regions.c.name_ko.label("region_name_ko"),
            _regions.c.name_en.label("region_name_en"),
        )
        .select_from(
            districts.outerjoin(_members, _members.c.district_code == districts.c.code).outerjoin(
                _regions, _regions.c.id == _members.c.region_id
            )
        )
        .order_by(districts.c.code)
    )


_ONE_DISTRICT = _with_regions(_districts).where(_districts.c.code == bindparam("code", type_=String))
ONE_DISTRICT = Statement.of(_ONE_DISTRICT)
"""The same read straight on asyncpg (shared.driver), for `GET /councils/districts/{code}` itself."""
_GROUPING_EXISTS = select(_groupings.c.code).where(_groupings.c.code == bindparam("grouping", type_=String))


@cache
def _page_statement(after: bool, region: bool, region_in_grouping: bool) -> _DistrictSelect:
    """The list statement for one combination of filters (at most 8, each built once)."""
    page = select(_districts.c.code, _districts.c.name_ko, _districts.c.name_en)
    if after:
        page = page.where(_districts.c.code > bindparam("after_code", type_=String))
    if region:
        members = (
            select(_members.c.district_code)
            .join(_regions, _regions.c.id == _members.c.region_id)
            .where(_regions.c.code == bindparam("region_code", type_=String))
        )
        if region_in_grouping:
            members = members.where(_regions.c.grouping_code == bindparam("grouping", type_=String))
        page = page.where(_districts.c.code.in_(members))
    page = page.order_by(_districts.c.code).limit(bindparam("limit", type_=Integer))
    return _with_regions(page.subquery("page"))


async def list_districts(
    session: AsyncSession,
    *,
    after_code: str | None,
    limit: int,
    region_code: str | None,
    grouping: str | None,
) -> Sequence[DistrictRow]:
    """Up to `limit` districts after `after_code` (in `region_code` of `grouping` if given), as rows."""
    in_grouping = region_code is not None and grouping is not None
    statement = _page_statement(after_code is not None, region_code is not None, in_grouping)
    parameters: dict[str, Any] = {"limit": limit}
    if after_code is not None:
        parameters["after_code"] = after_code
    if region_code is not None:
        parameters["region_code"] = region_code
    if in_grouping:
        parameters["grouping"] = grouping
    return (await session.execute(statement, parameters)).all()


async def get_district(session: AsyncSession, code: str) -> Sequence[DistrictRow]:
    """The district's rows; none when no district has that code."""
    return (await session.execute(_ONE_DISTRICT, {"code": code})).all()


async def list_groupings(session: AsyncSession) -> Sequence[RegionGrouping]:
    query = (
        select(RegionGrouping)
        .options(selectinload(RegionGrouping.regions).selectinload(Region.members))
        .order_by(RegionGrouping.code)
    )
    return (await session.scalars(query)).all()


async def district_exists(session: AsyncSession, code: str) -> bool:
    return await session.get(District, code) is not None


async def grouping_exists(session: AsyncSession, code: str) -> bool:
    return (await session.execute(_GROUPING_EXISTS, {"grouping": code})).first() is not None
