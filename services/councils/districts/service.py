"""District reads, shaped for the API."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.districts import repository
from services.councils.districts.errors import DistrictNotFound, RegionGroupingNotFound
from services.councils.districts.models import District
from services.councils.districts.schemas import DistrictOut, RegionGroupingOut, RegionOut, RegionRef
from shared.pagination import Page, decode_cursor, page_of


def _district_out(district: District) -> DistrictOut:
    regions = sorted(
        (
            RegionRef(
                grouping=member.region.grouping_code,
                code=member.region.code,
                name_ko=member.region.name_ko,
                name_en=member.region.name_en,
            )
            for member in district.region_memberships
        ),
        key=lambda ref: ref.grouping,
    )
    return DistrictOut(
        code=district.code, name_ko=district.name_ko, name_en=district.name_en, regions=regions
    )


async def list_districts(
    session: AsyncSession, *, cursor: str | None, limit: int, region: str | None, grouping: str | None
) -> Page[DistrictOut]:
    if grouping is not None and not await repository.grouping_exists(session, grouping):
        raise RegionGroupingNotFound(grouping)
    key = decode_cursor(cursor)
    after = str(key[0]) if key else None
    rows = await repository.list_districts(
        session, after_code=after, limit=limit + 1, region_code=region, grouping=grouping
    )
    return page_of([_district_out(row) for row in rows], limit, lambda item: [item.code])


async def get_district(session: AsyncSession, code: str) -> DistrictOut:
    district = await repository.get_district(session, code)
    if district is None:
        raise DistrictNotFound(code)
    return _district_out(district)


async def list_groupings(session: AsyncSession) -> list[RegionGroupingOut]:
    return [
        RegionGroupingOut(
            code=grouping.code,
            name_ko=grouping.name_ko,
            name_en=grouping.name_en,
            source=grouping.source,
            regions=[
                RegionOut(
                    code=region.code,
                    name_ko=region.name_ko,
                    name_en=region.name_en,
                    support_officer=region.support_officer,
                    district_codes=sorted(member.district_code for member in region.members),
                )
                for region in grouping.regions
            ],
        )
        for grouping in await repository.list_groupings(session)
    ]
