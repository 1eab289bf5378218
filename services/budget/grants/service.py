"""Grants: the Community Innovation Plan (수립, then 실행 = total − the planning grant paid) and the Civic
Cooperation Platform (a yearly grant for up to `max_years`, each further year only on a confirmed evaluation
result that is not `stop`). Amounts are whole KRW; every ratio is integer arithmetic.

Computed amounts are never taken from a request: an execution grant or a platform's further year carrying
`amount_krw` is refused (422 `amount-computed`), so nobody can believe their figure was used.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.common import record_actor
from services.budget.funding import service as funding
from services.budget.grants import repository
from services.budget.grants.errors import (
    AmountComputed,
    AmountRequired,
    DistrictShareTooLow,
    GrantNotFound,
    InvalidGrantTransition,
    NotInFundingType,
    OtherDistrict,
    OverLimit,
    PlatformStopped,
    PlatformYearsExhausted,
    PreconditionMissing,
    SharesDoNotSum,
)
from services.budget.grants.policies import ensure_window, policy_for
from services.budget.grants.schemas import PHASES_OF, GrantApply, GrantOut, Payment
from shared.auth import Identity
from shared.councils_references import CouncilsReferences
from shared.pagination import ID, Page, decode_cursor, page_of
from shared.problems import RuleViolation
from shared.seoul import SEOUL

BASIS_POINTS = 10_000


def next_year_amount(previous_krw: int, category: str, policy: RowMapping) -> int:
    """A platform's next yearly amount after its evaluation: `increase` adds increase_percent, `reduce` takes
    off reduce_percent, both rounded down to the whole won; never above the year's maximum."""
    if category == "increase":
        amount = previous_krw * (100 + policy["increase_percent"]) // 100
    elif category == "reduce":
        amount = previous_krw * (100 - policy["reduce_percent"]) // 100
    else:
        amount = previous_krw
    return int(min(amount, policy["yearly_max_krw"]))


def min_district_share(amount_krw: int, share_bp: int) -> int:
    """The least 구비 of a grant: amount × bp / 10,000 rounded up, so that share × 10,000 ≥ amount × bp."""
    return -(-amount_krw * share_bp // BASIS_POINTS)


def _out(row: RowMapping) -> GrantOut:
    return GrantOut.model_validate(dict(row))


def _ensure_district(actor: Identity, district: str, field: str) -> None:
    if not actor.can_write_district(district):
        raise OtherDistrict(
            f"{actor.role.value} of district {actor.district_code} may not act for district {district}",
            detail_ko=f"{actor.district_code} 자치구 담당자는 {district} 자치구의 일을 할 수 없습니다",
            field=field,
        )


async def _innovation_plan_amount(
    session: AsyncSession, data: GrantApply, policy: RowMapping, phase: str
) -> int:
    if phase == "planning":
        if data.amount_krw is None:
            raise AmountRequired(
                "a planning grant needs amount_krw",
                detail_ko="수립 보조금에는 금액이 필요합니다",
                field="body.amount_krw",
            )
        if data.amount_krw > policy["planning_max_krw"]:
            raise OverLimit(
                f"a planning grant is at most {policy['planning_max_krw']:,} KRW in {data.fiscal_year};"
                f" {data.amount_krw:,} KRW is {data.amount_krw - policy['planning_max_krw']:,} KRW over",
                detail_ko=f"수립 보조금은 최대 {policy['planning_max_krw']:,}원입니다"
                f" ({data.amount_krw - policy['planning_max_krw']:,}원 초과)",
                field="body.amount_krw",
            )
        return data.amount_krw
    if data.amount_krw is not None:
        raise AmountComputed(
            f"an execution grant is computed ({policy['plan_total_krw']:,} KRW − the planning grant paid);"
            " send no amount_krw",
            detail_ko="실행 보조금은 계산됩니다 (총액 − 지급된 수립 보조금). 금액을 보내지 마십시오",
            field="body.amount_krw",
        )
    planning = await repository.planning_grant(session, data.district_code)
    if planning is None or planning["status"] != "paid":
        state = (
            "has no planning grant"
            if planning is None
            else f"planning grant {planning['id']} is {planning['status']}"
        )
        raise PreconditionMissing(
            f"district {data.district_code} {state}; execution needs the planning grant paid",
            detail_ko=f"{data.district_code} 자치구의 수립 보조금이 지급되지 않았습니다",
            field="body.phase",
        )
    return int(policy["plan_total_krw"] - planning["paid_krw"])


async def _platform_amount(session: AsyncSession, data: GrantApply, policy: RowMapping) -> tuple[int, int]:
    """The yearly amount and the platform year (its stage)."""
    if data.previous_grant_id is None:
        if data.amount_krw is None:
            raise AmountRequired(
                "a platform's first year needs amount_krw",
                detail_ko="첫해 보조금에는 금액이 필요합니다",
                field="body.amount_krw",
            )
        if data.amount_krw > policy["yearly_max_krw"]:
            raise OverLimit(
                f"a platform grant is at most {policy['yearly_max_krw']:,} KRW a year;"
                f" {data.amount_krw:,} KRW is {data.amount_krw - policy['yearly_max_krw']:,} KRW over",
                detail_ko=f"플랫폼 보조금은 연 최대 {policy['yearly_max_krw']:,}원입니다",
                field="body.amount_krw",
            )
        return data.amount_krw, 1
    if data.amount_krw is not None:
        raise AmountComputed(
            "a platform's further year is computed from the previous year and its evaluation;"
            " send no amount_krw",
            detail_ko="다음 해 보조금은 전년도 금액과 평가 결과로 계산됩니다. 금액을 보내지 마십시오",
            field="body.amount_krw",
        )
    field = "body.previous_grant_id"
    previous = await repository.get_grant(session, data.previous_grant_id)
    if previous is None:
        raise GrantNotFound(data.previous_grant_id, field=field)
    if (
        previous["kind"] != "civic_platform"
        or previous["district_code"] != data.district_code
        or previous["fiscal_year"] != data.fiscal_year - 1
        or previous["status"] not in ("awarded", "paid")
    ):
        raise PreconditionMissing(
            f"grant {previous['id']} is not an awarded platform grant of district {data.district_code}"
            f" in {data.fiscal_year - 1}",
            detail_ko=f"보조금 {previous['id']}은(는) {data.fiscal_year - 1}년"
            " 이 자치구의 플랫폼 보조금이 아닙니다",
            field=field,
        )
    if previous["platform_year"] >= policy["max_years"]:
        raise PlatformYearsExhausted(
            f"grant {previous['id']} is year {previous['platform_year']}; a platform is funded at most"
            f" {policy['max_years']} years",
            detail_ko=f"플랫폼은 최대 {policy['max_years']}년 지원됩니다",
            field=field,
        )
    result = await repository.evaluation_result(session, grant_id=previous["id"])
    if result is None:
        raise PreconditionMissing(
            f"grant {previous['id']} has no confirmed evaluation result; a further year needs one",
            detail_ko=f"보조금 {previous['id']}의 확정된 평가 결과가 없습니다",
            field=field,
        )
    if result["category"] == "stop":
        raise PlatformStopped(
            f"the evaluation of grant {previous['id']} (event {result['event_id']}) is stop",
            detail_ko=f"보조금 {previous['id']}의 평가 결과는 지원 중단입니다",
            field=field,
        )
    return next_year_amount(previous["amount_krw"], result["category"], policy), previous["platform_year"] + 1


def _check_shares(data: GrantApply, amount: int, share_bp: int) -> int:
    """The city share, after checking the district's against the amount and the required ratio."""
    district = data.district_share_krw
    if district > amount:
        raise SharesDoNotSum(
            f"district share {district:,} KRW is more than the grant, {amount:,} KRW",
            detail_ko=f"구비 {district:,}원이 보조금 {amount:,}원보다 큽니다",
            field="body.district_share_krw",
        )
    city = amount - district
    if data.city_share_krw is not None and data.city_share_krw != city:
        raise SharesDoNotSum(
            f"city {data.city_share_krw:,} + district {district:,} = {data.city_share_krw + district:,} KRW,"
            f" not the grant's {amount:,} KRW",
            detail_ko=f"시비 {data.city_share_krw:,}원 + 구비 {district:,}원이"
            f" 보조금 {amount:,}원과 다릅니다",
            field="body.city_share_krw",
        )
    least = min_district_share(amount, share_bp)
    if district * BASIS_POINTS < amount * share_bp:
        raise DistrictShareTooLow(
            f"district share {district:,} KRW of {amount:,} KRW is below the required"
            f" {share_bp / 100:g} %: at least {least:,} KRW",
            detail_ko=f"구비 {district:,}원은 요구 비율 {share_bp / 100:g}% 미만입니다. 최소 {least:,}원",
            field="body.district_share_krw",
            extra={"min_district_share_krw": least},
        )
    return city


async def apply_for_grant(
    session: AsyncSession,
    *,
    data: GrantApply,
    actor: Identity,
    references: CouncilsReferences | None = None,
) -> GrantOut:
    """`references` checks a named organisation (or, without one, the district) with councils, before the
    database is touched: no transaction waits on councils, and councils down stores nothing (503)."""
    _ensure_district(actor, data.district_code, "body.district_code")
    phase = data.phase or PHASES_OF[data.kind][0]
    if phase not in PHASES_OF[data.kind]:
        raise RuleViolation(
            f"{data.kind} has the phases {', '.join(PHASES_OF[data.kind])}, not {phase}",
            detail_ko=f"{data.kind}의 단계가 아닙니다: {phase}",
            field="body.phase",
        )
    if references is not None and data.organization_id is not None:
        await references.check_organization(data.organization_id, data.district_code)
    elif references is not None:
        await references.check_district(data.district_code)
    policy = await policy_for(session, data.fiscal_year, data.kind)
    await ensure_window(session, policy, phase)
    assigned = await funding.ensure_room(
        session,
        district=data.district_code,
        year=data.fiscal_year,
        amount_krw=0,
        field="body.district_code",
        required=True,
    )
    assert assigned is not None
    platform_year = None
    if data.kind == "innovation_plan":
        if assigned["innovation_plan_krw"] is None and assigned["max_total_krw"] is None:
            raise NotInFundingType(
                f"district {data.district_code} is {assigned['funding_type']} in {data.fiscal_year},"
                " a type without the Community Innovation Plan",
                detail_ko=f"{data.district_code} 자치구의 지원 유형({assigned['funding_type']})에는"
                " 지역사회혁신계획이 없습니다",
                field="body.district_code",
            )
        if data.previous_grant_id is not None:
            raise RuleViolation(
                "previous_grant_id is for platform grants",
                detail_ko="previous_grant_id는 플랫폼 보조금용입니다",
                field="body.previous_grant_id",
            )
        amount = await _innovation_plan_amount(session, data, policy, phase)
    else:
        amount, platform_year = await _platform_amount(session, data, policy)
    city = _check_shares(data, amount, policy["min_district_share_bp"])
    await funding.ensure_room(
        session,
        district=data.district_code,
        year=data.fiscal_year,
        amount_krw=amount,
        field="body.amount_krw",
        required=True,
    )
    await record_actor(session, actor, "application")
    row = await repository.insert_grant(
        session,
        {
            "kind": data.kind,
            "phase": phase,
            "district_code": data.district_code,
            "organization_id": data.organization_id,
            "fiscal_year": data.fiscal_year,
            "title_ko": data.title_ko,
            "platform_year": platform_year,
            "previous_grant_id": data.previous_grant_id,
            "amount_krw": amount,
            "city_share_krw": city,
            "district_share_krw": data.district_share_krw,
            "created_by": actor.subject,
        },
    )
    return _out(row)


async def _locked(session: AsyncSession, grant_id: int, expected: str, step: str) -> RowMapping:
    row = await repository.get_grant(session, grant_id, lock=True)
    if row is None:
        raise GrantNotFound(grant_id)
    if row["status"] != expected:
        raise InvalidGrantTransition(
            f"grant {grant_id} is {row['status']}; {step} needs a grant that is {expected}",
            detail_ko=f"보조금 {grant_id}의 상태는 {row['status']}입니다. {expected} 상태여야 합니다",
            field="path.grant_id",
        )
    return row


async def award_grant(session: AsyncSession, grant_id: int, *, actor: Identity) -> GrantOut:
    """Award under the district-year lock: two racing awards cannot together pass the cap."""
    row = await _locked(session, grant_id, "applied", "an award")
    await funding.ensure_room(
        session,
        district=row["district_code"],
        year=row["fiscal_year"],
        amount_krw=row["amount_krw"],
        field="path.grant_id",
        required=True,
    )
    await record_actor(session, actor, "award")
    updated = await repository.update_grant(
        session,
        grant_id,
        {"status": "awarded", "awarded_at": datetime.now(SEOUL), "awarded_by": actor.subject},
    )
    return _out(updated)


async def record_payment(session: AsyncSession, grant_id: int, *, data: Payment, actor: Identity) -> GrantOut:
    row = await _locked(session, grant_id, "awarded", "a payment")
    if data.paid_krw > row["amount_krw"]:
        raise OverLimit(
            f"{data.paid_krw:,} KRW paid is more than grant {grant_id}'s {row['amount_krw']:,} KRW",
            detail_ko=f"지급액 {data.paid_krw:,}원이 보조금 {row['amount_krw']:,}원보다 큽니다",
            field="body.paid_krw",
        )
    await record_actor(session, actor, "payment")
    updated = await repository.update_grant(
        session, grant_id, {"status": "paid", "paid_krw": data.paid_krw, "paid_on": data.paid_on}
    )
    return _out(updated)


async def get_grant(session: AsyncSession, grant_id: int) -> GrantOut:
    row = await repository.get_grant(session, grant_id)
    if row is None:
        raise GrantNotFound(grant_id)
    return _out(row)


async def list_grants(
    session: AsyncSession, *, filters: dict[str, Any], cursor: str | None, limit: int
) -> Page[GrantOut]:
    key = decode_cursor(cursor, (ID,))
    rows = await repository.list_grants(
        session, filters=filters, after_id=int(key[0]) if key else None, limit=limit + 1
    )
    return page_of([_out(row) for row in rows], limit, lambda item: [item.id])
