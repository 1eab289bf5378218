"""District reads, shaped for the API."""

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.districts import repository
from services.councils.districts.errors import DistrictNotFound, RegionGroupingNotFound
from services.councils.districts.repository import DistrictRow
from services.councils.districts.schemas import DistrictOut, RegionGroupingOut, RegionOut, RegionRef
from shared.pagination import Page, decode_cursor, page_of, text

DISTRICT_CODE = text(r"[0-9]{5}")


def _districts_out(rows: Iterable[DistrictRow | Sequence[Any]]) -> list[DistrictOut]:
    """Fold the repository's rows (one per district and region, by district code) into districts."""
    districts: list[DistrictOut] = []
    # Unpacked by position: a Row's attribute access costs more than building the models (measured, 2×).
    for code, name_ko, name_en, grouping, region_code, region_name_ko, region_name_en in rows:
        if not districts or districts[-1].code != code:
            districts.append(DistrictOut(code=code, name_ko=name_ko, name_en=name_en, regions=[]))
        if region_code is not None:
            districts[-1].regions.append(
                RegionRef(grouping=grouping, code=region_code, name_ko=region_name_ko, name_en=region_name_en)
            )
    for district in districts:
        district.regions.sort(key=lambda ref: ref.grouping)
    return districts


async def list_districts(
    session: AsyncSession, *, cursor: str | None, limit: int, region: str | None, grouping: str | None
) -> Page[DistrictOut]:
    key = decode_cursor(cursor, (DISTRICT_CODE,))
    if grouping is not None and not await repository.grouping_exists(session, grouping):
        raise RegionGroupingNotFound(grouping)
    after = key[0] if key else None
    rows = await repository.list_districts(
        session, after_code=after, limit=limit + 1, region_code=region, grouping=grouping
    )
    return page_of(_districts_out(rows), limit, lambda item: [item.code])


async def get_district(session: AsyncSession, code: str) -> DistrictOut:
    districts = _districts_out(await repository.get_district(session, code))
    if not districts:
        raise DistrictNotFound(code)
    return districts[0]


async def read_district(connection: asyncpg.Connection, code: str) -> DistrictOut:
    """`get_district` on the request's asyncpg connection (shared.driver): the hot read's own path."""
    districts = _districts_out(await repository.ONE_DISTRICT.fetch(connection, code=code))
    if not districts:
        raise DistrictNotFound(code)
    return districts[0]


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
