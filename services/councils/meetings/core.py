"""What every part of a meeting's record needs: the meeting, its body, its day and who holds a seat."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.access import ensure_can_record_meetings
from services.councils.common.errors import UnknownReference
from services.councils.meetings import repository
from services.councils.meetings.errors import MeetingNotFound
from services.councils.meetings.models import Meeting
from services.councils.meetings.schemas import MeetingOut
from services.councils.memberships.service import count_seats, seats_on
from services.councils.organizations import repository as organizations
from services.councils.organizations.models import Organization
from services.councils.organizations.service import get_body, is_body
from shared.auth import Identity
from shared.db import register_constraint
from shared.problems import Conflict
from shared.seoul import SEOUL, seoul_date

register_constraint(
    "uq_meetings_organization_id_starts_at",
    Conflict,
    "the body already meets at this time",
    "body.starts_at",
    detail_ko="이 기구는 이미 이 시각에 회의가 있습니다.",
)


def meeting_day(meeting: Meeting) -> date:
    return seoul_date(meeting.starts_at)


def meeting_out(meeting: Meeting, requested_by: Sequence[int]) -> MeetingOut:
    return MeetingOut(
        id=meeting.id,
        organization_id=meeting.organization_id,
        schedule_id=meeting.schedule_id,
        kind=meeting.kind,
        requested_by=list(requested_by),
        called_by_motion_id=meeting.called_by_motion_id,
        title=meeting.title,
        starts_at=meeting.starts_at.astimezone(SEOUL),
        ends_at=meeting.ends_at.astimezone(SEOUL) if meeting.ends_at else None,
        place=meeting.place,
        status=meeting.status,
        note=meeting.note,
    )


async def body_of(session: AsyncSession, organization_id: int, field: str) -> Organization:
    body = await organizations.get(session, organization_id)
    if body is None or not is_body(body):
        raise UnknownReference("governance body", organization_id, field)
    return body


async def load_meeting(session: AsyncSession, meeting_id: int) -> tuple[Meeting, Organization]:
    meeting = await repository.get_meeting(session, meeting_id)
    if meeting is None:
        raise MeetingNotFound(meeting_id)
    return meeting, await get_body(session, meeting.organization_id)


async def writable_meeting(
    session: AsyncSession, meeting_id: int, actor: Identity
) -> tuple[Meeting, Organization]:
    meeting, body = await load_meeting(session, meeting_id)
    ensure_can_record_meetings(actor, body.district_code)
    return meeting, body


async def seat_holders(session: AsyncSession, body: Organization, day: date) -> tuple[int, set[int]]:
    seats = await seats_on(session, body.id, day)
    enrolled = count_seats(seats).total
    return enrolled, {seat.person_id for seat in seats if seat.person_id is not None}


async def present_count(session: AsyncSession, meeting: Meeting, holders: set[int]) -> int:
    rows = await repository.attendance(session, meeting.id)
    return sum(1 for row, _ in rows if row.status == "present" and row.person_id in holders)
