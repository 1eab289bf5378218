"""District funding types (data, correctable) and each district's assigned type per year, with its cap.

A district's cap for a year is its type's ceiling (융합형: max_total_krw) or its district grant plus its
innovation-plan grant (일반형, 분리형), plus the neighbourhood plans: neighbourhood_plan_krw × its 동 count.
Its envelopes of that year and its awarded grants together stay within it: checked here under a lock on the
district's `district_funding` row, with the arithmetic in the answer, and again by the triggers that take the
same lock (migration 0007).
"""

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.common import record_actor
from services.budget.envelopes import repository as envelopes
from services.budget.envelopes.errors import UnknownFundingType
from services.budget.envelopes.schemas import FundingTypeOut
from services.budget.funding import repository
from services.budget.funding.errors import CapExceeded, DistrictFundingNotFound
from services.budget.funding.schemas import DistrictFundingOut, DistrictFundingSet, FundingTypeUpdate
from shared.auth import Identity


def cap_formula(row: RowMapping) -> str:
    """How the cap is made up, e.g. `500,000,000 + 300,000,000 + 50,000,000 × 12 동`."""
    if row["max_total_krw"] is not None:
        parts = [f"{row['max_total_krw']:,}"]
    else:
        parts = [f"{row['district_grant_krw'] or 0:,}"]
        if row["innovation_plan_krw"]:
            parts.append(f"{row['innovation_plan_krw']:,}")
    parts.append(f"{row['neighbourhood_plan_krw']:,} × {row['neighbourhoods']} 동")
    return " + ".join(parts)


def _out(row: RowMapping) -> DistrictFundingOut:
    return DistrictFundingOut(
        **{key: row[key] for key in DistrictFundingOut.model_fields if key != "room_krw"},
        room_krw=row["cap_krw"] - row["committed_krw"],
    )


async def get_district_funding(session: AsyncSession, district: str, year: int) -> DistrictFundingOut:
    row = await repository.get_district_funding(session, district, year)
    if row is None:
        raise DistrictFundingNotFound(district, year)
    return _out(row)


async def set_district_funding(
    session: AsyncSession, *, district: str, year: int, data: DistrictFundingSet, actor: Identity
) -> DistrictFundingOut:
    if await envelopes.get_funding_type(session, data.funding_type) is None:
        raise UnknownFundingType(data.funding_type)
    await record_actor(session, actor, data.source)
    await repository.upsert_district_funding(
        session,
        {
            "district": district,
            "year": year,
            "funding_type": data.funding_type,
            "neighbourhoods": data.neighbourhoods,
            "source": data.source,
            "actor": actor.subject,
        },
    )
    row = await repository.get_district_funding(session, district, year, lock=True)
    assert row is not None
    if row["committed_krw"] > row["cap_krw"]:
        raise CapExceeded(
            f"district {district} already has {row['committed_krw']:,} KRW of envelopes and grants in {year};"
            f" {data.funding_type} with {data.neighbourhoods} 동 allows {cap_formula(row)} ="
            f" {row['cap_krw']:,} KRW",
            detail_ko=f"{district} 자치구의 {year}년 배정액 {row['committed_krw']:,}원이 {data.funding_type}"
            f" 한도 {row['cap_krw']:,}원을 넘습니다",
            field="body.funding_type",
            extra={"cap_krw": row["cap_krw"], "committed_krw": row["committed_krw"]},
        )
    return _out(row)


async def ensure_room(
    session: AsyncSession, *, district: str, year: int, amount_krw: int, field: str, required: bool
) -> RowMapping | None:
    """Lock the district's year and refuse `amount_krw` more if it would pass the cap (the arithmetic in
    the answer). Without an assigned type: None, or a 404 when `required`."""
    row = await repository.get_district_funding(session, district, year, lock=True)
    if row is None:
        if required:
            raise DistrictFundingNotFound(district, year, field=field)
        return None
    total = row["committed_krw"] + amount_krw
    if total > row["cap_krw"]:
        room = row["cap_krw"] - row["committed_krw"]
        raise CapExceeded(
            f"district {district} ({row['funding_type']}) in {year}: {row['committed_krw']:,} KRW committed"
            f" + {amount_krw:,} KRW = {total:,} KRW, over its cap"
            f" {cap_formula(row)} = {row['cap_krw']:,} KRW;"
            f" at most {max(room, 0):,} KRW more",
            detail_ko=f"{district} 자치구({row['funding_type']}) {year}년: 기존 {row['committed_krw']:,}원"
            f" + {amount_krw:,}원 = {total:,}원으로 한도 {row['cap_krw']:,}원을 넘습니다."
            f" 최대 {max(room, 0):,}원까지 가능합니다",
            field=field,
            extra={
                "cap_krw": row["cap_krw"],
                "committed_krw": row["committed_krw"],
                "requested_krw": amount_krw,
            },
        )
    return row


async def correct_funding_type(
    session: AsyncSession, *, code: str, data: FundingTypeUpdate, actor: Identity
) -> FundingTypeOut:
    await record_actor(session, actor, data.reason)
    values = data.model_dump(exclude={"reason"})
    if not await repository.update_funding_type(session, code, values):
        raise UnknownFundingType(code, field="path.code")
    for over in await repository.districts_over_cap(session, code):
        raise CapExceeded(
            f"district {over['district_code']} already has {over['committed_krw']:,} KRW in"
            f" {over['fiscal_year']}; the corrected {code} would allow {over['cap_krw']:,} KRW",
            detail_ko=f"{over['district_code']} 자치구의 {over['fiscal_year']}년 배정액"
            f" {over['committed_krw']:,}원이"
            f" 수정된 한도 {over['cap_krw']:,}원을 넘습니다",
            field="body",
            extra={"cap_krw": over["cap_krw"], "committed_krw": over["committed_krw"]},
        )
    row = await envelopes.get_funding_type(session, code)
    await session.refresh(row)
    return FundingTypeOut.model_validate(row)
