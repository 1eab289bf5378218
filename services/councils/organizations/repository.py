"""Reads and writes of organizations (bodies and civil-society organisations) and their posts."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import ARRAY, Date, Integer, Row, Select, String, any_, bindparam, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.organizations.models import Organization, Post
from shared.driver import Statement


async def get(session: AsyncSession, organization_id: int) -> Organization | None:
    return await session.get(Organization, organization_id)


async def add(session: AsyncSession, row: Organization | Post) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row)


async def list_organizations(
    session: AsyncSession,
    *,
    classifications: Collection[str],
    after_id: int | None,
    limit: int,
    district: str | None = None,
    parent_id: int | None = None,
    name: str | None = None,
    active_on: date | None = None,
) -> Sequence[Organization]:
    query = (
        select(Organization)
        .where(Organization.classification.in_(classifications))
        .order_by(Organization.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Organization.id > after_id)
    if district is not None:
        query = query.where(Organization.district_code == district)
    if parent_id is not None:
        query = query.where(Organization.parent_id == parent_id)
    if name:
        pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Organization.name_ko.ilike(pattern), Organization.name_en.ilike(pattern)))
    if active_on is not None:
        query = query.where(
            or_(Organization.founding_on.is_(None), Organization.founding_on <= active_on),
            or_(Organization.dissolution_on.is_(None), Organization.dissolution_on >= active_on),
        )
    return (await session.scalars(query)).all()


async def get_many(session: AsyncSession, organization_ids: Collection[int]) -> Sequence[Organization]:
    query = select(Organization).where(Organization.id.in_(organization_ids)).order_by(Organization.id)
    return (await session.scalars(query)).all()


async def ancestors(session: AsyncSession, organization_id: int) -> list[int]:
    """Ids from the organization up to its root (bounded, so a corrupt cycle cannot loop forever)."""
    chain: list[int] = []
    current: int | None = organization_id
    while current is not None and len(chain) < 100:
        chain.append(current)
        current = await session.scalar(select(Organization.parent_id).where(Organization.id == current))
    return chain


async def children(session: AsyncSession, organization_id: int) -> Sequence[Organization]:
    query = select(Organization).where(Organization.parent_id == organization_id).order_by(Organization.id)
    return (await session.scalars(query)).all()


async def list_posts(session: AsyncSession, organization_ids: Collection[int]) -> Sequence[Post]:
    query = select(Post).where(Post.organization_id.in_(organization_ids)).order_by(Post.id)
    return (await session.scalars(query)).all()


async def get_post(session: AsyncSession, post_id: int) -> Post | None:
    return await session.get(Post, post_id)


# The body list is what a district's page reads for every visitor: one Core statement per combination of
# filters, built once with bind parameters, returning plain rows in `body_out_of_row`'s column order.
_organizations = Organization.__table__
_BODY_COLUMNS = (
    _organizations.c.id,
    _organizations.c.classification,
    _organizations.c.name_ko,
    _organizations.c.name_en,
    _organizations.c.district_code,
    _organizations.c.parent_id,
    _organizations.c.policy_fields,
    _organizations.c.founding_date,
    _organizations.c.dissolution_date,
    _organizations.c.quorum_num,
    _organizations.c.quorum_den,
    _organizations.c.quorum_strict,
    _organizations.c.pass_num,
    _organizations.c.pass_den,
    _organizations.c.pass_strict,
    _organizations.c.amend_num,
    _organizations.c.amend_den,
    _organizations.c.amend_strict,
    _organizations.c.extraordinary_min_requesters,
    _organizations.c.member_cap,
    _organizations.c.eligibility_role,
    _organizations.c.note,
    _organizations.c.source,
    _organizations.c.created_at,
    _organizations.c.updated_at,
)
ONE_BODY = Statement.of(
    select(*_BODY_COLUMNS, literal_column(f"{Organization.__tablename__}.version", Integer)).where(
        _organizations.c.id == bindparam("id", type_=Integer)
    )
)
"""One organisation's `_BODY_COLUMNS` and version (its ETag) in one statement, for shared.driver: the body
read's own path."""


@dataclass(frozen=True)
class BodyListFilter:
    after: bool
    district: bool
    parent: bool
    name: bool
    active_on: bool


@cache
def _body_list_statement(filters: BodyListFilter) -> Select[Any]:
    query = (
        select(*_BODY_COLUMNS)
        .where(_organizations.c.classification == any_(bindparam("kinds", type_=ARRAY(String))))
        .order_by(_organizations.c.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if filters.after:
        query = query.where(_organizations.c.id > bindparam("after_id", type_=Integer))
    if filters.district:
        query = query.where(_organizations.c.district_code == bindparam("district", type_=String))
    if filters.parent:
        query = query.where(_organizations.c.parent_id == bindparam("parent_id", type_=Integer))
    if filters.name:
        pattern = bindparam("pattern", type_=String)
        query = query.where(
            or_(_organizations.c.name_ko.ilike(pattern), _organizations.c.name_en.ilike(pattern))
        )
    if filters.active_on:
        on = bindparam("active_on", type_=Date)
        query = query.where(
            or_(_organizations.c.founding_on.is_(None), _organizations.c.founding_on <= on),
            or_(_organizations.c.dissolution_on.is_(None), _organizations.c.dissolution_on >= on),
        )
    return query


async def list_body_rows(
    session: AsyncSession,
    *,
    classifications: Collection[str],
    after_id: int | None,
    limit: int,
    district: str | None = None,
    parent_id: int | None = None,
    name: str | None = None,
    active_on: date | None = None,
) -> Sequence[Row[Any]]:
    """As `list_organizations`, as rows of `_BODY_COLUMNS` (one statement, no ORM objects)."""
    filters = BodyListFilter(
        after=after_id is not None,
        district=district is not None,
        parent=parent_id is not None,
        name=bool(name),
        active_on=active_on is not None,
    )
    parameters: dict[str, Any] = {"kinds": sorted(classifications), "limit": limit}
    for key, value in (
        ("after_id", after_id),
        ("district", district),
        ("parent_id", parent_id),
        ("active_on", active_on),
    ):
        if value is not None:
            parameters[key] = value
    if name:
        parameters["pattern"] = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return (await session.execute(_body_list_statement(filters), parameters)).all()
