"""Civic Cooperation Platforms, read with their consortium's members, representatives and managers."""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.access import ensure_can_write
from services.councils.common.dates import first_day
from services.councils.common.errors import UnknownReference
from services.councils.common.vocab import OrganizationKind
from services.councils.districts import repository as districts
from services.councils.memberships.schemas import Ref
from services.councils.organizations import repository as organizations
from services.councils.organizations.errors import UnknownDistrict
from services.councils.platforms import repository
from services.councils.platforms.errors import PlatformNotFound
from services.councils.platforms.models import CivicPlatform
from services.councils.platforms.schemas import ConsortiumMember, PlatformCreate, PlatformOut
from shared.auth import Identity
from shared.db import register_constraint
from shared.pagination import ID, Page, decode_cursor, page_of
from shared.problems import Conflict
from shared.seoul import today_seoul

register_constraint(
    "uq_civic_platforms_district_code_consortium_id",
    Conflict,
    "this consortium already runs a platform in this district",
    "body.consortium_id",
    detail_ko="이 컨소시엄은 이미 이 자치구에서 플랫폼을 운영하고 있습니다.",
)


def _platforms_out(
    platforms: Sequence[repository.PlatformRow], consortia: Sequence[repository.ConsortiumRow]
) -> list[PlatformOut]:
    """Fold the two statements' rows into each platform's output, in membership-id order."""
    members_of: dict[int, list[tuple[Ref, list[Ref]]]] = defaultdict(list)
    people_of: dict[tuple[int, str], list[Ref]] = defaultdict(list)
    last: tuple[int, int] | None = None
    representatives: list[Ref] = []
    for (
        platform_id,
        membership_id,
        role,
        person_id,
        person_name,
        member_id,
        member_name,
        rep_id,
        rep_name,
    ) in consortia:
        # A membership's first row; its next rows (same membership id) only add representatives.
        if (platform_id, membership_id) != last:
            last = (platform_id, membership_id)
            if person_id and person_name:
                people_of[platform_id, role].append(Ref(id=person_id, name_ko=person_name))
            representatives = []
            if member_id and member_name:
                members_of[platform_id].append((Ref(id=member_id, name_ko=member_name), representatives))
        if rep_id and rep_name:
            representatives.append(Ref(id=rep_id, name_ko=rep_name))
    out = []
    for (
        platform_id,
        district_code,
        name_ko,
        consortium_id,
        consortium_name,
        lead_organization_id,
        started_date,
        evaluation_round,
        youth_activists,
        offline_hub,
        online_hub,
        main_activities,
        source,
        created_at,
    ) in platforms:
        out.append(
            PlatformOut(
                id=platform_id,
                district_code=district_code,
                name_ko=name_ko,
                consortium=Ref(id=consortium_id, name_ko=consortium_name),
                lead_organization_id=lead_organization_id,
                started_date=started_date,
                evaluation_round=evaluation_round,
                youth_activists=youth_activists,
                offline_hub=offline_hub,
                online_hub=online_hub,
                main_activities=main_activities,
                source=source,
                members=[
                    ConsortiumMember(organization=organization, representatives=reps)
                    for organization, reps in members_of.get(platform_id, [])
                ],
                managers=people_of.get((platform_id, "manager"), []),
                assistant_managers=people_of.get((platform_id, "assistant_manager"), []),
                created_at=created_at,
            )
        )
    return out


async def _with_consortia(
    session: AsyncSession, platforms: Sequence[repository.PlatformRow]
) -> list[PlatformOut]:
    if not platforms:
        return []
    consortia = await repository.consortia(session, [row[0] for row in platforms], today_seoul())
    return _platforms_out(platforms, consortia)


async def create_platform(session: AsyncSession, *, data: PlatformCreate, actor: Identity) -> PlatformOut:
    ensure_can_write(actor, data.district_code)
    if not await districts.district_exists(session, data.district_code):
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
    await repository.add_platform(session, platform)
    row = await repository.get_platform(session, platform.id)
    assert row is not None
    [out] = await _with_consortia(session, [row])
    return out


async def read_platform(session: AsyncSession, platform_id: int) -> PlatformOut:
    row = await repository.get_platform(session, platform_id)
    if row is None:
        raise PlatformNotFound(
            f"no civic platform has id {platform_id}",
            detail_ko=f"id가 {platform_id}인 시민 플랫폼이 없습니다.",
            field="path.platform_id",
        )
    [out] = await _with_consortia(session, [row])
    return out


async def list_platforms(
    session: AsyncSession, *, district: str | None, cursor: str | None, limit: int
) -> Page[PlatformOut]:
    key = decode_cursor(cursor, (ID,))
    rows = await repository.list_platforms(
        session, after_id=int(key[0]) if key else None, limit=limit + 1, district=district
    )
    return page_of(await _with_consortia(session, rows), limit, lambda item: [item.id])
