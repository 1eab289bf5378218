"""Civic Cooperation Platforms, read with their consortium's members, representatives and managers."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.access import ensure_can_write
from services.councils.common.dates import first_day
from services.councils.common.errors import UnknownReference
from services.councils.common.vocab import OrganizationKind
from services.councils.history.service import record
from services.councils.memberships import repository as memberships
from services.councils.memberships.repository import MembershipFilter
from services.councils.memberships.schemas import Ref
from services.councils.organizations import repository as organizations
from services.councils.organizations.errors import UnknownDistrict
from services.councils.platforms.models import CivicPlatform
from services.councils.platforms.schemas import ConsortiumMember, PlatformCreate, PlatformOut
from shared.auth import Identity
from shared.db import register_constraint
from shared.pagination import ID, Page, decode_cursor, page_of
from shared.problems import Conflict, NotFound
from shared.seoul import today_seoul

register_constraint(
    "uq_civic_platforms_district_code_consortium_id",
    Conflict,
    "this consortium already runs a platform in this district",
    "body.consortium_id",
)


class PlatformNotFound(NotFound):
    code = "platform-not-found"
    title = "Civic platform not found"


async def platform_out(session: AsyncSession, platform: CivicPlatform) -> PlatformOut:
    consortium = await organizations.get(session, platform.consortium_id)
    assert consortium is not None
    day = max(today_seoul(), platform.started_on) if platform.started_on else today_seoul()
    rows = await memberships.search(session, MembershipFilter(organization_id=consortium.id, active_on=day))
    member_ids = [r.membership.member_organization_id for r in rows if r.membership.member_organization_id]
    reps = await memberships.search(
        session, MembershipFilter(organization_ids=member_ids, role="representative", active_on=day)
    )

    def people(role: str) -> list[Ref]:
        return [
            Ref(id=r.membership.person_id, name_ko=r.person_name)
            for r in rows
            if r.membership.role == role and r.membership.person_id and r.person_name
        ]

    members = [
        ConsortiumMember(
            organization=Ref(id=r.membership.member_organization_id, name_ko=r.member_organization_name),
            representatives=[
                Ref(id=rep.membership.person_id, name_ko=rep.person_name)
                for rep in reps
                if rep.membership.organization_id == r.membership.member_organization_id
                and rep.membership.person_id
                and rep.person_name
            ],
        )
        for r in rows
        if r.membership.member_organization_id and r.member_organization_name
    ]
    return PlatformOut(
        id=platform.id,
        district_code=platform.district_code,
        name_ko=platform.name_ko,
        consortium=Ref(id=consortium.id, name_ko=consortium.name_ko),
        lead_organization_id=platform.lead_organization_id,
        started_date=platform.started_date,
        evaluation_round=platform.evaluation_round,
        youth_activists=platform.youth_activists,
        offline_hub=platform.offline_hub,
        online_hub=platform.online_hub,
        main_activities=platform.main_activities,
        source=platform.source,
        members=members,
        managers=people("manager"),
        assistant_managers=people("assistant_manager"),
        created_at=platform.created_at,
    )


async def create_platform(session: AsyncSession, *, data: PlatformCreate, actor: Identity) -> PlatformOut:
    ensure_can_write(actor, data.district_code)
    if not await organizations.district_exists(session, data.district_code):
        raise UnknownDistrict(data.district_code)
    consortium = await organizations.get(session, data.consortium_id)
    if consortium is None or consortium.classification != OrganizationKind.consortium:
        raise UnknownReference("consortium", data.consortium_id, "body.consortium_id")
    if (
        data.lead_organization_id is not None
        and await organizations.get(session, data.lead_organization_id) is None
    ):
        raise UnknownReference("organization", data.lead_organization_id, "body.lead_organization_id")
    platform = CivicPlatform(
        **data.model_dump(), started_on=first_day(data.started_date) if data.started_date else None
    )
    session.add(platform)
    await session.flush()
    await session.refresh(platform)
    out = await platform_out(session, platform)
    await record(session, actor, entity="platform", entity_id=platform.id, action="create", after=out)
    return out


async def read_platform(session: AsyncSession, platform_id: int) -> PlatformOut:
    platform = await session.get(CivicPlatform, platform_id)
    if platform is None:
        raise PlatformNotFound(f"no civic platform has id {platform_id}", field="path.platform_id")
    return await platform_out(session, platform)


async def list_platforms(
    session: AsyncSession, *, district: str | None, cursor: str | None, limit: int
) -> Page[PlatformOut]:
    key = decode_cursor(cursor, (ID,))
    query = select(CivicPlatform).order_by(CivicPlatform.id).limit(limit + 1)
    if key:
        query = query.where(CivicPlatform.id > int(key[0]))
    if district is not None:
        query = query.where(CivicPlatform.district_code == district)
    rows = (await session.scalars(query)).all()
    return page_of([await platform_out(session, row) for row in rows], limit, lambda item: [item.id])
