"""Reads of memberships, with the names of who and where, and the seats held on a date."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.councils.memberships.models import Membership
from services.councils.organizations.models import Organization
from services.councils.people.models import Person


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


def active_on(on: date) -> ColumnElement[bool]:
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
    query = _query().order_by(Membership.id)
    if limit is not None:
        query = query.limit(limit)
    if after_id is not None:
        query = query.where(Membership.id > after_id)
    if filters.organization_id is not None:
        query = query.where(Membership.organization_id == filters.organization_id)
    if filters.organization_ids is not None:
        query = query.where(Membership.organization_id.in_(filters.organization_ids))
    if filters.person_id is not None:
        query = query.where(Membership.person_id == filters.person_id)
    if filters.district is not None:
        query = query.where(Membership.district_code == filters.district)
    if filters.sector is not None:
        query = query.where(Membership.sector == filters.sector)
    if filters.role is not None:
        query = query.where(Membership.role == filters.role)
    if filters.kind is not None:
        kinds = select(Organization.id).where(Organization.classification == filters.kind)
        query = query.where(Membership.organization_id.in_(kinds))
    if filters.active_on is not None:
        query = query.where(active_on(filters.active_on))
    return [MembershipRow(row[0], row[1], row[2], row[3]) for row in (await session.execute(query)).all()]


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
