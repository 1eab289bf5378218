"""Governance status records of districts, each with its as-of date and source."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.access import ensure_can_write
from services.councils.common.dates import last_day
from services.councils.district_status import repository
from services.councils.district_status.errors import StatusNotFound
from services.councils.district_status.models import DistrictStatus
from services.councils.district_status.schemas import DistrictStatusCreate, DistrictStatusOut
from services.councils.districts.errors import DistrictNotFound
from services.councils.districts.repository import district_exists
from shared.auth import Identity
from shared.db import register_constraint
from shared.pagination import DAY, ID, Page, decode_cursor, page_of
from shared.problems import Conflict
from shared.seoul import today_seoul

register_constraint(
    "uq_district_status_district_code_as_of_source",
    Conflict,
    "this district already has a status record from this source as of this date",
    "body.as_of",
    detail_ko="이 자치구에는 이미 이 출처의 이 날짜 기준 현황 기록이 있습니다.",
)


async def _district(session: AsyncSession, code: str) -> None:
    if not await district_exists(session, code):
        raise DistrictNotFound(code)


async def create_status(
    session: AsyncSession, *, code: str, data: DistrictStatusCreate, actor: Identity
) -> DistrictStatusOut:
    ensure_can_write(actor, code)
    await _district(session, code)
    row = DistrictStatus(district_code=code, as_of_on=last_day(data.as_of), **data.model_dump(mode="json"))
    await repository.add_status(session, row)
    return DistrictStatusOut.model_validate(row)


async def list_status(
    session: AsyncSession, *, code: str, cursor: str | None, limit: int
) -> Page[DistrictStatusOut]:
    key = decode_cursor(cursor, (DAY, ID))
    await _district(session, code)
    rows = await repository.list_statuses(
        session, code=code, after=(key[0], key[1]) if key else None, limit=limit + 1
    )
    items = [DistrictStatusOut.model_validate(row) for row in rows]
    return page_of(items, limit, lambda item: [str(last_day(item.as_of)), item.id])


async def status_on(session: AsyncSession, *, code: str, on: date | None) -> DistrictStatusOut:
    await _district(session, code)
    day = on or today_seoul()
    row = await repository.latest_on(session, code=code, day=day)
    if row is None:
        raise StatusNotFound(
            f"district {code} has no status record as of {day}",
            detail_ko=f"자치구 {code}에는 {day} 기준 현황 기록이 없습니다.",
            field="query.on",
        )
    return DistrictStatusOut.model_validate(row)
