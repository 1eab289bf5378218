"""Reads of civic platforms with their consortium: two Core statements whatever the number of platforms.

The list was one query for the page and then three per platform (consortium, its memberships, the members'
representatives). Now: the page of platforms (with the consortium's name), then every consortium membership
of the page's platforms left-joined to the representatives of its member organisation; each statement built
once with bind parameters. A platform's consortium is read on the later of today and the platform's start,
so that date is computed per platform in SQL (`GREATEST` ignores a NULL start).
"""

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    Integer,
    Row,
    Select,
    String,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.memberships.models import Membership
from services.councils.organizations.models import Organization
from services.councils.people.models import Person
from services.councils.platforms.models import CivicPlatform

_platforms = CivicPlatform.__table__
_organizations = Organization.__table__
_memberships = Membership.__table__
_persons = Person.__table__

# id, district_code, name_ko, consortium_id, consortium name, lead_organization_id, started_date,
# evaluation_round, youth_activists, offline_hub, online_hub, main_activities, source, created_at
PlatformRow = Row[
    int,
    str,
    str,
    int,
    str,
    int | None,
    str | None,
    int | None,
    int | None,
    str | None,
    str | None,
    str | None,
    str | None,
    datetime,
]
_PlatformSelect = Select[
    int,
    str,
    str,
    int,
    str,
    int | None,
    str | None,
    int | None,
    int | None,
    str | None,
    str | None,
    str | None,
    str | None,
    datetime,
]
# platform id, membership id, role, person_id, person name, member_organization_id, member organization
# name, then a representative of that member organisation (person id, name), NULL when it has none
ConsortiumRow = Row[int, int, str, int | None, str | None, int | None, str | None, int | None, str | None]

_IDS = bindparam("ids", type_=ARRAY(Integer))
_TODAY = bindparam("today", type_=Date)


def _day() -> ColumnElement[date]:
    """The date a platform's consortium is read on: the later of today and the platform's start."""
    return func.greatest(_TODAY, _platforms.c.started_on)


def _active(memberships: Any) -> ColumnElement[bool]:
    day = _day()
    return and_(
        memberships.c.start_on <= day, or_(memberships.c.end_on.is_(None), memberships.c.end_on >= day)
    )


def _platform_select() -> _PlatformSelect:
    return select(
        _platforms.c.id,
        _platforms.c.district_code,
        _platforms.c.name_ko,
        _platforms.c.consortium_id,
        _organizations.c.name_ko.label("consortium_name_ko"),
        _platforms.c.lead_organization_id,
        _platforms.c.started_date,
        _platforms.c.evaluation_round,
        _platforms.c.youth_activists,
        _platforms.c.offline_hub,
        _platforms.c.online_hub,
        _platforms.c.main_activities,
        _platforms.c.source,
        _platforms.c.created_at,
    ).join(_organizations, _organizations.c.id == _platforms.c.consortium_id)


_ONE = _platform_select().where(_platforms.c.id == bindparam("id", type_=Integer))


@cache
def _page_statement(after: bool, district: bool) -> _PlatformSelect:
    """The page statement for one combination of filters (4 at most, each built once)."""
    query = _platform_select().order_by(_platforms.c.id).limit(bindparam("limit", type_=Integer))
    if after:
        query = query.where(_platforms.c.id > bindparam("after_id", type_=Integer))
    if district:
        query = query.where(_platforms.c.district_code == bindparam("district", type_=String))
    return query


_member_org = _organizations.alias("member_org")
_representatives = _memberships.alias("representative")
_rep_person = _persons.alias("rep_person")
_CONSORTIUM: Select[int, int, str, int | None, str | None, int | None, str | None, int | None, str | None] = (
    select(
        _platforms.c.id,
        _memberships.c.id,
        _memberships.c.role,
        _memberships.c.person_id,
        _persons.c.name_ko,
        _memberships.c.member_organization_id,
        _member_org.c.name_ko,
        _rep_person.c.id,
        _rep_person.c.name_ko,
    )
    .select_from(
        _platforms.join(
            _memberships,
            and_(_memberships.c.organization_id == _platforms.c.consortium_id, _active(_memberships)),
        )
        .outerjoin(_persons, _persons.c.id == _memberships.c.person_id)
        .outerjoin(_member_org, _member_org.c.id == _memberships.c.member_organization_id)
        .outerjoin(
            _representatives,
            and_(
                _representatives.c.organization_id == _memberships.c.member_organization_id,
                _representatives.c.role == "representative",
                _active(_representatives),
            ),
        )
        .outerjoin(_rep_person, _rep_person.c.id == _representatives.c.person_id)
    )
    .where(_platforms.c.id == any_(_IDS))
    .order_by(_platforms.c.id, _memberships.c.id, _representatives.c.id)
)


async def list_platforms(
    session: AsyncSession, *, after_id: int | None, limit: int, district: str | None
) -> Sequence[PlatformRow]:
    """Up to `limit` platforms after `after_id` (of `district` if given), by id."""
    parameters: dict[str, Any] = {"limit": limit}
    if after_id is not None:
        parameters["after_id"] = after_id
    if district is not None:
        parameters["district"] = district
    statement = _page_statement(after_id is not None, district is not None)
    return (await session.execute(statement, parameters)).all()


async def get_platform(session: AsyncSession, platform_id: int) -> PlatformRow | None:
    return (await session.execute(_ONE, {"id": platform_id})).first()


async def consortia(session: AsyncSession, platform_ids: list[int], today: date) -> Sequence[ConsortiumRow]:
    """The platforms' consortium memberships, each once per representative of its member organisation."""
    parameters = {"ids": platform_ids, "today": today}
    return (await session.execute(_CONSORTIUM, parameters)).all()


async def add_platform(session: AsyncSession, platform: CivicPlatform) -> None:
    session.add(platform)
    await session.flush()
    await session.refresh(platform)
