"""Exports: Popolo JSON per body, CSV of bodies, memberships and composition."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.districts.models import District
from services.councils.exports.schemas import PopoloExport
from services.councils.meetings import repository as meetings
from services.councils.meetings.models import Meeting, Motion
from services.councils.meetings.motions import motion_out
from services.councils.meetings.schemas import MotionOut
from services.councils.memberships import repository as memberships
from services.councils.memberships.repository import MembershipFilter, MembershipRow
from services.councils.memberships.service import composition
from services.councils.organizations import repository as organizations
from services.councils.organizations.models import Organization
from services.councils.organizations.schemas import Fraction
from services.councils.organizations.service import BODY_KINDS, get_body, rules_of
from services.councils.people.models import Person
from shared.csv_export import csv_text
from shared.seoul import SEOUL, today_seoul

ENDED = {
    "resigned": "사임",
    "term_ended": "임기만료",
    "replaced": "교체",
    "dissolved": "해산",
    "other": "기타",
}
# Popolo's event status code list (RFC 5545's), as in the iCalendar export.
EVENT_STATUS = {"scheduled": "tentative", "held": "confirmed", "cancelled": "cancelled"}
VOTE_OPTIONS = ("yes", "no", "abstain")
# The scheme of a district's 5-digit administrative code (as `GET /councils/districts` describes it).
DISTRICT_CODE_SCHEME = "행정표준코드"


def _ref(kind: str, ident: int | None) -> str | None:
    return f"{kind}/{ident}" if ident is not None else None


def _organization(org: Organization) -> dict[str, object]:
    out: dict[str, object] = {
        "id": _ref("organization", org.id),
        "name": org.name_ko,
        "classification": org.classification,
        "parent_id": _ref("organization", org.parent_id),
        "founding_date": org.founding_date,
        "dissolution_date": org.dissolution_date,
        "area_id": _ref("district", int(org.district_code)) if org.district_code else None,
        "other_names": [{"name": org.name_en, "note": "English"}] if org.name_en else [],
    }
    return {key: value for key, value in out.items() if value not in (None, [])}


def _membership(row: MembershipRow) -> dict[str, object]:
    m = row.membership
    out: dict[str, object] = {
        "id": _ref("membership", m.id),
        "person_id": _ref("person", m.person_id),
        "member": {"@type": "Organization", "id": _ref("organization", m.member_organization_id)}
        if m.member_organization_id
        else None,
        "organization_id": _ref("organization", m.organization_id),
        "post_id": _ref("post", m.post_id),
        "on_behalf_of_id": _ref("organization", m.on_behalf_of_id),
        "role": m.role,
        "label": m.label,
        "start_date": m.start_date,
        "end_date": m.end_date,
        "area_id": _ref("district", int(m.district_code)) if m.district_code else None,
        "sector": m.sector,
        "end_reason": m.end_reason,
    }
    return {key: value for key, value in out.items() if value is not None}


def _moment(moment: datetime) -> str:
    """ISO 8601 in Seoul time to the second, e.g. 2017-06-26T15:00:00+09:00."""
    return moment.astimezone(SEOUL).isoformat(timespec="seconds")


def _event(meeting: Meeting, requested_by: list[int]) -> dict[str, object]:
    """Popolo's event fields, then two extensions (Popolo's Event has no field for who called it):
    `requested_by` (the people who requested an extraordinary meeting) and `called_by_motion_id` (the
    resolution that called it); each is left out when there is none, like any empty field."""
    out: dict[str, object] = {
        "id": _ref("event", meeting.id),
        "name": meeting.title,
        "classification": meeting.kind,
        "start_date": _moment(meeting.starts_at),
        "end_date": _moment(meeting.ends_at) if meeting.ends_at else None,
        "location": meeting.place,
        "status": EVENT_STATUS[meeting.status],
        "description": meeting.note,
        "organization_id": _ref("organization", meeting.organization_id),
        "requested_by": [_ref("person", person_id) for person_id in requested_by],
        "called_by_motion_id": _ref("motion", meeting.called_by_motion_id),
    }
    return {key: value for key, value in out.items() if value not in (None, [])}


def _motion(motion: MotionOut, meeting: Meeting) -> dict[str, object]:
    return {
        "id": _ref("motion", motion.id),
        "organization_id": _ref("organization", meeting.organization_id),
        "legislative_session_id": _ref("event", meeting.id),
        "title": motion.title,
        "text": motion.text or motion.title,
        "classification": motion.classification,
        "date": _moment(meeting.starts_at),
        "requirement": motion.requirement,
        "result": motion.vote.result,
    }


def _vote_event(motion: MotionOut, meeting: Meeting) -> dict[str, object] | None:
    """The motion's one vote, when counts were recorded; `result` is the computed one, quorum included."""
    counts = motion.vote.counts
    if counts is None:
        return None
    return {
        "id": _ref("vote_event", motion.id),
        "motion_id": _ref("motion", motion.id),
        "organization_id": _ref("organization", meeting.organization_id),
        "legislative_session_id": _ref("event", meeting.id),
        "start_date": _moment(meeting.starts_at),
        "result": motion.vote.result,
        "counts": [{"option": option, "value": getattr(counts, option)} for option in VOTE_OPTIONS],
    }


class _Decisions(NamedTuple):
    events: list[dict[str, object]]
    motions: list[dict[str, object]]
    vote_events: list[dict[str, object]]
    requesters: set[int]  # person ids of those who requested the meetings


async def _decisions(session: AsyncSession, bodies: list[Organization]) -> _Decisions:
    """The bodies' meetings as events, their motions and vote events; results as the meetings API's."""
    by_id = {body.id: body for body in bodies}
    held = await meetings.meetings_of(session, list(by_id))
    meeting_ids = [m.id for m in held]
    requested = await meetings.requesters_of(session, meeting_ids)
    motions: dict[int, list[Motion]] = {}
    for motion in await meetings.motions_of(session, meeting_ids):
        motions.setdefault(motion.meeting_id, []).append(motion)
    events, motion_docs, vote_events = [], [], []
    for meeting in held:
        events.append(_event(meeting, requested.get(meeting.id, [])))
        for motion in motions.get(meeting.id, []):
            out = await motion_out(session, motion, meeting, by_id[meeting.organization_id])
            motion_docs.append(_motion(out, meeting))
            vote_event = _vote_event(out, meeting)
            if vote_event is not None:
                vote_events.append(vote_event)
    requesters = {person_id for people in requested.values() for person_id in people}
    return _Decisions(events, motion_docs, vote_events, requesters)


async def _areas(
    session: AsyncSession, *documents: Sequence[Mapping[str, object]]
) -> list[dict[str, object]]:
    """Popolo areas for the districts the documents name as `area_id` (`district/<code>`), by code."""
    codes = sorted(
        {
            str(doc["area_id"]).removeprefix("district/")
            for docs in documents
            for doc in docs
            if isinstance(doc.get("area_id"), str)
        }
    )
    if not codes:
        return []
    districts = (
        await session.scalars(select(District).where(District.code.in_(codes)).order_by(District.code))
    ).all()
    return [
        {
            "id": _ref("district", int(district.code)),
            "name": district.name_ko,
            "classification": "district",
            "identifier": district.code,
            "identifiers": [{"identifier": district.code, "scheme": DISTRICT_CODE_SCHEME}],
        }
        for district in districts
    ]


async def _tree(session: AsyncSession, root: Organization) -> list[Organization]:
    found, queue = [root], [root]
    while queue and len(found) < 1000:
        children = await organizations.children(session, queue.pop(0).id)
        found += children
        queue += children
    return found


async def popolo(session: AsyncSession, body_id: int) -> PopoloExport:
    bodies = await _tree(session, await get_body(session, body_id))
    ids = [body.id for body in bodies]
    rows = await memberships.search(session, MembershipFilter(organization_ids=ids))
    decisions = await _decisions(session, bodies)
    # The members and the meetings' requesters (who need not be members: a body without a requester rule
    # records them as given), so every `person/<id>` of the document names one of its persons.
    person_ids = sorted(
        {r.membership.person_id for r in rows if r.membership.person_id} | decisions.requesters
    )
    people = (
        await session.scalars(select(Person).where(Person.id.in_(person_ids)).order_by(Person.id))
    ).all()
    posts = await organizations.list_posts(session, ids)
    referenced = {
        org_id
        for r in rows
        for org_id in (r.membership.member_organization_id, r.membership.on_behalf_of_id)
        if org_id is not None and org_id not in ids
    }
    others = await organizations.get_many(session, referenced) if referenced else []
    organization_docs = [_organization(org) for org in [*bodies, *others]]
    membership_docs = [_membership(row) for row in rows]
    post_docs = [
        {
            "id": _ref("post", post.id),
            "label": post.label,
            "role": post.role,
            "organization_id": _ref("organization", post.organization_id),
            **({"area_id": _ref("district", int(post.district_code))} if post.district_code else {}),
        }
        for post in posts
    ]
    return PopoloExport(
        organizations=organization_docs,
        persons=[
            {
                "id": _ref("person", p.id),
                "name": p.name_ko,
                **({"other_names": [{"name": p.name_en, "note": "English"}]} if p.name_en else {}),
            }
            for p in people
        ],
        memberships=membership_docs,
        posts=post_docs,
        areas=await _areas(session, organization_docs, membership_docs, post_docs),
        events=decisions.events,
        motions=decisions.motions,
        vote_events=decisions.vote_events,
    )


def _fraction(fraction: Fraction) -> str:
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
