"""The CSV exports: bodies with their decision rules, memberships, and composition as of a date."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.thresholds import Threshold
from services.councils.memberships import repository as memberships
from services.councils.memberships.repository import MembershipFilter
from services.councils.memberships.service import composition
from services.councils.organizations import repository as organizations
from services.councils.organizations.models import Organization
from services.councils.organizations.service import BODY_KINDS, rules_of
from shared.csv_export import csv_text
from shared.seoul import today_seoul

ENDED = {
    "resigned": "사임",
    "term_ended": "임기만료",
    "replaced": "교체",
    "dissolved": "해산",
    "other": "기타",
}


def _fraction(fraction: Threshold) -> str:
    words = "초과" if fraction.comparison == "more_than" else "이상"
    return f"{fraction.numerator}/{fraction.denominator} {words}"


async def _bodies(session: AsyncSession, district: str | None, kind: str | None) -> list[Organization]:
    rows = await organizations.list_organizations(
        session,
        classifications=[kind] if kind else BODY_KINDS,
        after_id=None,
        limit=100_000,
        district=district,
    )
    return list(rows)


async def bodies_csv(session: AsyncSession, *, district: str | None, kind: str | None) -> str:
    header = [
        "id",
        "분류",
        "이름",
        "영문명",
        "자치구코드",
        "상위기구 id",
        "정책분야",
        "설립일",
        "해산일",
        "의사정족수",
        "의결정족수",
        "규정개정",
        "임시회의 요구인원",
        "정원",
        "출처",
    ]
    rows = []
    for body in await _bodies(session, district, kind):
        rules = rules_of(body)
        rows.append(
            [
                body.id,
                body.classification,
                body.name_ko,
                body.name_en,
                body.district_code,
                body.parent_id,
                "|".join(body.policy_fields or []),
                body.founding_date,
                body.dissolution_date,
                _fraction(rules.quorum),
                _fraction(rules.passing),
                _fraction(rules.amendment),
                rules.extraordinary_min_requesters,
                body.member_cap,
                body.source,
            ]
        )
    return csv_text(header, rows)


async def memberships_csv(session: AsyncSession, *, filters: MembershipFilter) -> str:
    header = [
        "id",
        "기구 id",
        "기구",
        "인물 id",
        "이름",
        "회원 단체",
        "역할",
        "부문",
        "자치구코드",
        "시작일",
        "종료일",
        "종료사유",
        "임명",
        "비고",
    ]
    rows = [
        [
            r.membership.id,
            r.membership.organization_id,
            r.organization_name,
            r.membership.person_id,
            r.person_name,
            r.member_organization_name,
            r.membership.role,
            r.membership.sector,
            r.membership.district_code,
            r.membership.start_date,
            r.membership.end_date,
            ENDED.get(r.membership.end_reason or ""),
            r.membership.appointed_by,
            r.membership.label,
        ]
        for r in await memberships.search(session, filters)
    ]
    return csv_text(header, rows)


async def composition_csv(
    session: AsyncSession, *, on: date | None, district: str | None, kind: str | None
) -> str:
    day = on or today_seoul()
    header = [
        "자치구코드",
        "기구 id",
        "기구",
        "분류",
        "기준일",
        "계",
        "민",
        "구의원",
        "관",
        "전문가",
        "명단 미기재",
    ]
    rows = []
    for body in await _bodies(session, district, kind):
        c = await composition(session, body_id=body.id, on=day)
        rows.append(
            [
                body.district_code,
                body.id,
                body.name_ko,
                body.classification,
                day.isoformat(),
                c.total,
                c.civil,
                c.councillor,
                c.official,
                c.expert,
                c.unnamed,
            ]
        )
    return csv_text(header, rows)
