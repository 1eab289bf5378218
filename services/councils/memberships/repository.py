"""Reads of memberships, with the names of who and where, and the seats held on a date."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, cast

import asyncpg
from sqlalchemy import ColumnElement, Date, Integer, Select, String, Table, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.councils.memberships.models import Membership
from services.councils.organizations.models import Organization
from services.councils.people.models import Person
from shared.driver import Statement


@dataclass
class MembershipRow:
    membership: Membership
    organization_name: str
    person_name: str | None
    member_organization_name: str | None


@dataclass
class MembershipFilter:
    organization_id: int | None = None
    organization_ids: Sequence[int] | None = None
    person_id: int | None = None
    district: str | None = None
    sector: str | None = None
    role: str | None = None
    kind: str | None = None
    active_on: date | None = None


def active_on(on: date | ColumnElement[date]) -> ColumnElement[bool]:
    return and_(Membership.start_on <= on, or_(Membership.end_on.is_(None), Membership.end_on >= on))


def _build_query() -> Select[Membership, str, str, str]:
    body = aliased(Organization)
    member_org = aliased(Organization)
    return (
        select(Membership, body.name_ko, Person.name_ko, member_org.name_ko)
        .join(body, body.id == Membership.organization_id)
        .outerjoin(Person, Person.id == Membership.person_id)
        .outerjoin(member_org, member_org.id == Membership.member_organization_id)
    )


# Built once (a Select is immutable; `.where` returns a new one): building it per request, with fresh aliases
# whose column expressions SQLAlchemy then derives again, was ~28 % of a membership search's CPU.
_QUERY = _build_query()


def _query() -> Select[Membership, str, str, str]:
    return _QUERY


PAGE_COLUMNS = (
    "id",
    "organization_id",
    "organization_name",
    "person_id",
    "person_name",
    "member_organization_id",
    "member_organization_name",
    "post_id",
    "on_behalf_of_id",
    "role",
    "sector",
    "district_code",
    "label",
    "start_date",
    "end_date",
    "end_reason",
    "end_note",
    "appointed_by",
    "source",
    "created_at",
    "updated_at",
)
"""A search page's columns, in the order `services.councils.memberships.service.page_json` unpacks them."""


def _build_page() -> Select[Any]:
    """`_QUERY` as plain columns (no ORM entity), in `PAGE_COLUMNS`' order: a search page's statement."""
    memberships = cast(Table, Membership.__table__)
    organizations = cast(Table, Organization.__table__)
    body, member_org = organizations.alias("body"), organizations.alias("member_org")
    persons = cast(Table, Person.__table__)
    named = {
        "organization_name": body.c.name_ko,
        "person_name": persons.c.name_ko,
        "member_organization_name": member_org.c.name_ko,
    }
    return select(
        *(named[name].label(name) if name in named else memberships.c[name] for name in PAGE_COLUMNS)
    ).select_from(
        memberships.join(body, body.c.id == memberships.c.organization_id)
        .outerjoin(persons, persons.c.id == memberships.c.person_id)
        .outerjoin(member_org, member_org.c.id == memberships.c.member_organization_id)
    )


_PAGE = _build_page()
_EQUALS = {
    "organization_id": Membership.organization_id,
    "person_id": Membership.person_id,
    "district": Membership.district_code,
    "sector": Membership.sector,
    "role": Membership.role,
}


def _values(filters: MembershipFilter, after_id: int | None, limit: int | None) -> dict[str, Any]:
    """The search's bind parameters: one per filter given (organization_ids apart), after_id and limit."""
    values = {
        "organization_id": filters.organization_id,
        "person_id": filters.person_id,
        "district": filters.district,
        "sector": filters.sector,
        "role": filters.role,
        "kind": filters.kind,
        "active_on": filters.active_on,
        "after_id": after_id,
        "limit": limit,
    }
    return {name: value for name, value in values.items() if value is not None}


def _filtered(query: Select[Any], present: frozenset[str]) -> Select[Any]:
    """The search's conditions for the parameters present (`_values`), as bind parameters of those names."""
    query = query.order_by(Membership.id)
    if "after_id" in present:
        query = query.where(Membership.id > bindparam("after_id", type_=Integer))
    for name, column in _EQUALS.items():
        if name in present:
            query = query.where(column == bindparam(name, type_=column.type))
    if "kind" in present:
        kinds = select(Organization.id).where(Organization.classification == bindparam("kind", type_=String))
        query = query.where(Membership.organization_id.in_(kinds))
    if "active_on" in present:
        query = query.where(active_on(bindparam("active_on", type_=Date)))
    if "limit" in present:
        query = query.limit(bindparam("limit", type_=Integer))
    return query


@cache
def _page_statement(present: frozenset[str]) -> Statement:
    """A search page's statement for one combination of filters, compiled once for asyncpg."""
    return Statement.of(_filtered(_PAGE, present))


async def add(session: AsyncSession, membership: Membership) -> None:
    session.add(membership)
    await session.flush()


async def delete(session: AsyncSession, membership: Membership) -> None:
    await session.delete(membership)
    await session.flush()


async def get(session: AsyncSession, membership_id: int) -> MembershipRow | None:
    row = (await session.execute(_query().where(Membership.id == membership_id))).one_or_none()
    return MembershipRow(row[0], row[1], row[2], row[3]) if row else None


async def search(
    session: AsyncSession, filters: MembershipFilter, *, after_id: int | None = None, limit: int | None = None
) -> list[MembershipRow]:
    values = _values(filters, after_id, limit)
    query = _filtered(cast(Select[Any], _query()), frozenset(values))
    if filters.organization_ids is not None:
        query = query.where(Membership.organization_id.in_(filters.organization_ids))
    rows = (await session.execute(query, values)).all()
    return [MembershipRow(row[0], row[1], row[2], row[3]) for row in rows]


async def search_page(
    connection: asyncpg.Connection, filters: MembershipFilter, *, after_id: int | None, limit: int
) -> list[asyncpg.Record]:
    """`search` as one statement on the request's asyncpg connection (shared.driver): the search page's
    rows, `PAGE_COLUMNS` each."""
    if filters.organization_ids is not None:
        raise ValueError("search_page takes no organization_ids")
    values = _values(filters, after_id, limit)
    return await _page_statement(frozenset(values)).fetch(connection, **values)


async def seats_on(
    session: AsyncSession, body_id: int, on: date, roles: Sequence[str]
) -> Sequence[Membership]:
    """Seat memberships of a body held on a date, oldest first."""
    query = (
        select(Membership)
        .where(Membership.organization_id == body_id, Membership.role.in_(roles), active_on(on))
        .order_by(Membership.id)
    )
    return (await session.scalars(query)).all()


async def district_bodies(
    session: AsyncSession, district: str, kinds: Sequence[str]
) -> Sequence[Organization]:
    """The governance bodies of a district, by id."""
    query = (
        select(Organization)
        .where(Organization.district_code == district, Organization.classification.in_(kinds))
        .order_by(Organization.id)
    )
    return (await session.scalars(query)).all()


async def seats_of_bodies(
    session: AsyncSession, body_ids: Sequence[int], on: date, roles: Sequence[str]
) -> Sequence[Membership]:
    """Seat memberships of several bodies held on a date, oldest first: one query whatever their number."""
    query = (
        select(Membership)
        .where(Membership.organization_id.in_(body_ids), Membership.role.in_(roles), active_on(on))
        .order_by(Membership.id)
    )
    return (await session.scalars(query)).all()
