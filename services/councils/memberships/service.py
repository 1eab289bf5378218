"""Memberships and composition. Overlap, caps and eligibility are enforced by PostgreSQL (migration 0002);
the checks here only make the common mistakes' messages name the request's fields."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.access import ensure_can_write
from services.councils.common.dates import first_day, last_day
from services.councils.common.errors import UnknownReference
from services.councils.common.read_cache import Connect, VersionedCache, VersionReads
from services.councils.common.vocab import SEAT_ROLES, EndReason, MemberRole, Sector
from services.councils.districts import repository as districts
from services.councils.memberships import repository
from services.councils.memberships.errors import InvalidMembership, MembershipNotFound
from services.councils.memberships.models import Membership
from services.councils.memberships.page import page_json
from services.councils.memberships.repository import MembershipFilter, MembershipRow
from services.councils.memberships.schemas import (
    Composition,
    MembershipCreate,
    MembershipOut,
    MembershipUpdate,
    Ref,
    UnnamedSeats,
)
from services.councils.organizations import repository as organizations
from services.councils.organizations.errors import UnknownDistrict
from services.councils.organizations.models import Organization
from services.councils.organizations.service import get_body, is_body
from services.councils.people import repository as people
from shared.auth import Identity
from shared.db import register_constraint
from shared.pagination import ID, decode_cursor
from shared.problems import Conflict
from shared.seoul import today_seoul

register_constraint(
    "ex_memberships_person_role_overlap",
    Conflict,
    "this person already holds this role in this body over an overlapping period",
    "body.start_date",
    detail_ko="이 인물은 겹치는 기간에 이미 이 기구에서 이 역할을 맡고 있습니다.",
)
register_constraint(
    "ex_memberships_member_org_role_overlap",
    Conflict,
    "this organisation is already a member in this role over an overlapping period",
    "body.start_date",
    detail_ko="이 기관은 겹치는 기간에 이미 이 역할의 위원입니다.",
)

SEAT_ROLE_VALUES = sorted(role.value for role in SEAT_ROLES)


def membership_out(row: MembershipRow) -> MembershipOut:
    m = row.membership
    return MembershipOut(
        id=m.id,
        organization_id=m.organization_id,
        organization=Ref(id=m.organization_id, name_ko=row.organization_name),
        person_id=m.person_id,
        person=Ref(id=m.person_id, name_ko=row.person_name) if m.person_id and row.person_name else None,
        member_organization_id=m.member_organization_id,
        member_organization=(
            Ref(id=m.member_organization_id, name_ko=row.member_organization_name)
            if m.member_organization_id and row.member_organization_name
            else None
        ),
        post_id=m.post_id,
        on_behalf_of_id=m.on_behalf_of_id,
        role=MemberRole(m.role),
        sector=Sector(m.sector),
        district_code=m.district_code,
        label=m.label,
        start_date=m.start_date,
        end_date=m.end_date,
        end_reason=EndReason(m.end_reason) if m.end_reason else None,
        end_note=m.end_note,
        appointed_by=m.appointed_by,
        source=m.source,
        created_at=m.created_at,
        updated_at=m.updated_at,
    )


async def _reload(session: AsyncSession, membership_id: int) -> MembershipOut:
    row = await repository.get(session, membership_id)
    if row is None:
        raise MembershipNotFound(membership_id)
    await session.refresh(row.membership)
    return membership_out(row)


async def _organization(session: AsyncSession, organization_id: int, field: str) -> Organization:
    org = await organizations.get(session, organization_id)
    if org is None:
        raise UnknownReference("organization", organization_id, field)
    return org


async def create_membership(
    session: AsyncSession, *, data: MembershipCreate, actor: Identity
) -> MembershipOut:
    org = await _organization(session, data.organization_id, "body.organization_id")
    ensure_can_write(actor, org.district_code, "a membership of a city-level body")
    role = data.role
    district = data.district_code or org.district_code
    if data.post_id is not None:
        post = await organizations.get_post(session, data.post_id)
        if post is None or post.organization_id != org.id:
            raise InvalidMembership(
                f"body {org.id} has no post {data.post_id}",
                detail_ko=f"기구 {org.id}에는 직위 {data.post_id}이(가) 없습니다.",
                field="body.post_id",
            )
        if role is not None and role.value != post.role:
            raise InvalidMembership(
                f"post {post.id} is a {post.role} post, not {role.value}",
                detail_ko=f"직위 {post.id}은(는) {role.value}이(가) 아닌 {post.role} 직위입니다.",
                field="body.role",
            )
        role = MemberRole(post.role)
        district = district or post.district_code
    if role is None:
        raise InvalidMembership(
            "give a role, or a post whose role it takes",
            detail_ko="역할(role) 또는 역할이 정해진 직위(post)를 지정하십시오.",
            field="body.role",
        )
    if data.person_id is not None and await people.get_person(session, data.person_id) is None:
        raise UnknownReference("person", data.person_id, "body.person_id")
    if data.member_organization_id is not None:
        await _organization(session, data.member_organization_id, "body.member_organization_id")
    if data.person_id is not None and data.member_organization_id is not None:
        raise InvalidMembership(
            "a member is a person or an organisation, not both",
            detail_ko="위원은 인물 또는 기관 중 하나이며, 둘 다일 수 없습니다.",
            field="body.person_id",
        )
    if data.person_id is None and data.member_organization_id is None and not is_body(org):
        raise InvalidMembership(
            "an unnamed seat exists only in a governance body",
            detail_ko="이름 없는 의석은 협치 기구에만 있을 수 있습니다.",
            field="body.person_id",
        )
    if data.on_behalf_of_id is not None:
        await _organization(session, data.on_behalf_of_id, "body.on_behalf_of_id")
    if role == MemberRole.communication_lead and district is None:
        raise InvalidMembership(
            "a communication lead represents a district",
            detail_ko="소통책임자는 자치구를 대표합니다.",
            field="body.district_code",
        )
    if district is not None and not await districts.district_exists(session, district):
        raise UnknownDistrict(district)
    if data.end_reason is not None and data.end_date is None:
        raise InvalidMembership(
            "an end reason needs an end_date",
            detail_ko="종료 사유에는 end_date가 필요합니다.",
            field="body.end_reason",
        )
    membership = Membership(
        organization_id=org.id,
        person_id=data.person_id,
        member_organization_id=data.member_organization_id,
        post_id=data.post_id,
        on_behalf_of_id=data.on_behalf_of_id,
        role=role.value,
        sector=data.sector.value,
        district_code=district,
        label=data.label,
        start_date=data.start_date,
        start_on=first_day(data.start_date),
        end_date=data.end_date,
        end_on=last_day(data.end_date) if data.end_date else None,
        end_reason=data.end_reason.value if data.end_reason else None,
        end_note=data.end_note,
        appointed_by=data.appointed_by,
        source=data.source,
    )
    await repository.add(session, membership)
    return await _reload(session, membership.id)


async def add_unnamed_seats(
    session: AsyncSession, *, body_id: int, data: UnnamedSeats, actor: Identity
) -> list[MembershipOut]:
    """Several seats of one sector in one unit of work: all are added, or none."""
    body = await get_body(session, body_id)
    ensure_can_write(actor, body.district_code, "a membership of a city-level body")
    created = []
    for _ in range(data.count):
        seat = MembershipCreate(
            organization_id=body.id,
            role=data.role,
            sector=data.sector,
            label=data.label,
            start_date=data.start_date,
            end_date=data.end_date,
            source=data.source,
        )
        created.append(await create_membership(session, data=seat, actor=actor))
    return created


async def _writable(session: AsyncSession, membership_id: int, actor: Identity) -> MembershipRow:
    row = await repository.get(session, membership_id)
    if row is None:
        raise MembershipNotFound(membership_id)
    org = await _organization(session, row.membership.organization_id, "path.membership_id")
    ensure_can_write(actor, org.district_code, "a membership of a city-level body")
    return row


async def update_membership(
    session: AsyncSession, *, membership_id: int, data: MembershipUpdate, actor: Identity
) -> MembershipOut:
    row = await _writable(session, membership_id, actor)
    m = row.membership
    given = data.model_fields_set
    for name in ("label", "end_note", "appointed_by", "source"):
        if name in given:
            setattr(m, name, getattr(data, name))
    if "sector" in given and data.sector is not None:
        m.sector = data.sector.value
    if "start_date" in given and data.start_date is not None:
        m.start_date, m.start_on = data.start_date, first_day(data.start_date)
    if "end_date" in given:
        m.end_date, m.end_on = data.end_date, last_day(data.end_date) if data.end_date else None
    if "end_reason" in given:
        m.end_reason = data.end_reason.value if data.end_reason else None
    if m.end_on is not None and m.end_on < m.start_on:
        raise InvalidMembership(
            f"must not be before the start ({m.start_date})",
            detail_ko=f"시작일({m.start_date})보다 앞설 수 없습니다.",
            field="body.end_date",
        )
    if m.end_reason is not None and m.end_on is None:
        raise InvalidMembership(
            "an end reason needs an end_date",
            detail_ko="종료 사유에는 end_date가 필요합니다.",
            field="body.end_reason",
        )
    await session.flush()
    return await _reload(session, m.id)


async def delete_membership(session: AsyncSession, *, membership_id: int, actor: Identity) -> None:
    """Remove a membership recorded in error (to end one, set its end_date instead)."""
    row = await _writable(session, membership_id, actor)
    await repository.delete(session, row.membership)


async def read_membership(session: AsyncSession, membership_id: int) -> MembershipOut:
    row = await repository.get(session, membership_id)
    if row is None:
        raise MembershipNotFound(membership_id)
    return membership_out(row)


async def list_memberships(
    connect: Connect,
    versions: VersionReads,
    cache: VersionedCache,
    *,
    filters: MembershipFilter,
    cursor: str | None,
    limit: int,
) -> bytes:
    """A search page (`Page[MembershipOut]`) as its JSON: the cached one while the registry is unchanged (a
    cached page needs no connection of its own: the version read is shared)."""
    key = decode_cursor(cursor, (ID,))
    after_id = int(key[0]) if key else None
    version = await versions.current(connect)
    f = filters
    page_key = (
        f.organization_id,
        f.person_id,
        f.district,
        f.sector,
        f.role,
        f.kind,
        f.active_on,
        after_id,
        limit,
    )
    page = cache.get(page_key, version)
    if page is None:
        async with connect() as connection:
            rows = await repository.search_page(connection, filters, after_id=after_id, limit=limit + 1)
        page = page_json(rows, limit)
        cache.put(page_key, version, page)
    return page


@dataclass(frozen=True)
class SeatCount:
    """A body's seats on a day: by sector (a holder once), by role (each seat), holders, unnamed seats."""

    by_sector: dict[str, int]
    by_role: dict[str, int]
    total: int
    unnamed: int


def count_seats(seats: list[Membership]) -> SeatCount:
    """Each person counts once (their first seat's sector), each unnamed seat once."""
    by_sector = {sector.value: 0 for sector in Sector}
    by_role: dict[str, int] = {}
    seen: set[int] = set()
    unnamed = 0
    for seat in seats:
        by_role[seat.role] = by_role.get(seat.role, 0) + 1
        holder = seat.person_id if seat.person_id is not None else -seat.id
        if holder in seen:
            continue
        seen.add(holder)
        by_sector[seat.sector] += 1
        unnamed += int(seat.person_id is None and seat.member_organization_id is None)
    return SeatCount(by_sector=by_sector, by_role=by_role, total=len(seen), unnamed=unnamed)


async def seats_on(session: AsyncSession, body_id: int, on: date) -> list[Membership]:
    return list(await repository.seats_on(session, body_id, on, SEAT_ROLE_VALUES))


async def composition(session: AsyncSession, *, body_id: int, on: date | None) -> Composition:
    body = await get_body(session, body_id)
    day = on or today_seoul()
    seats = count_seats(await seats_on(session, body.id, day))
    return Composition(
        body_id=body.id,
        body_name_ko=body.name_ko,
        district_code=body.district_code,
        on=day,
        total=seats.total,
        civil=seats.by_sector["civil"],
        councillor=seats.by_sector["councillor"],
        official=seats.by_sector["official"],
        expert=seats.by_sector["expert"],
        unnamed=seats.unnamed,
        by_role=seats.by_role,
    )
