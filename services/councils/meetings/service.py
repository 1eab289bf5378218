"""Meetings: recorded with their agenda, changed, and read whole with attendance and motions.

The other parts of a meeting's record live beside this module: extraordinary (who may call one), agenda,
attendance, motions (and decisions), listing (pages and iCalendar) and schedules.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.access import ensure_can_record_meetings
from services.councils.meetings import repository
from services.councils.meetings.attendance import attendance_out
from services.councils.meetings.core import body_of, load_meeting, meeting_day, meeting_out, writable_meeting
from services.councils.meetings.errors import InvalidMeetingRecord
from services.councils.meetings.extraordinary import check_call
from services.councils.meetings.models import Meeting
from services.councils.meetings.motions import motion_out
from services.councils.meetings.schemas import (
    AgendaItemOut,
    DocumentOut,
    MeetingCreate,
    MeetingDetail,
    MeetingOut,
    MeetingUpdate,
)
from shared.auth import Identity
from shared.seoul import seoul_date


async def create_meeting(session: AsyncSession, *, data: MeetingCreate, actor: Identity) -> MeetingDetail:
    body = await body_of(session, data.organization_id, "body.organization_id")
    ensure_can_record_meetings(actor, body.district_code)
    requesters = await check_call(
        session,
        body,
        kind=data.kind,
        day=seoul_date(data.starts_at),
        requested_by=data.requested_by or [],
        called_by=data.called_by_motion_id,
    )
    meeting = Meeting(**data.model_dump(exclude={"agenda", "requested_by"}))
    await repository.add(session, meeting)
    await repository.set_requesters(session, meeting.id, requesters)
    await repository.add_agenda(session, meeting.id, [item.model_dump() for item in data.agenda])
    return await meeting_detail(session, meeting.id)


async def update_meeting(
    session: AsyncSession, *, meeting_id: int, data: MeetingUpdate, actor: Identity
) -> MeetingOut:
    meeting, body = await writable_meeting(session, meeting_id, actor)
    requesters = await repository.requesters(session, meeting.id)
    given = data.model_fields_set
    for name in given - {"requested_by", "called_by_motion_id"}:
        value = getattr(data, name)
        if value is not None or name in ("ends_at", "place", "note"):
            setattr(meeting, name, value)
    if meeting.ends_at is not None and meeting.ends_at <= meeting.starts_at:
        raise InvalidMeetingRecord(
            "must be after starts_at", detail_ko="starts_at보다 뒤여야 합니다.", field="body.ends_at"
        )
    if "called_by_motion_id" in given:
        meeting.called_by_motion_id = data.called_by_motion_id
    if given & {"starts_at", "requested_by", "called_by_motion_id"}:
        # A new date, new requesters or a new resolution must still call the meeting.
        requesters = await check_call(
            session,
            body,
            kind=meeting.kind,
            day=meeting_day(meeting),
            requested_by=(data.requested_by or []) if "requested_by" in given else requesters,
            called_by=meeting.called_by_motion_id,
            meeting_id=meeting.id,
        )
        if "requested_by" in given:
            await repository.set_requesters(session, meeting.id, requesters)
    await session.flush()
    await session.refresh(meeting)
    return meeting_out(meeting, await repository.requesters(session, meeting.id))


async def meeting_detail(session: AsyncSession, meeting_id: int) -> MeetingDetail:
    meeting, body = await load_meeting(session, meeting_id)
    requesters = await repository.requesters(session, meeting.id)
    return MeetingDetail(
        **meeting_out(meeting, requesters).model_dump(),
        agenda=[AgendaItemOut.model_validate(item) for item in await repository.agenda(session, meeting.id)],
        documents=[
            DocumentOut.model_validate(doc) for doc in await repository.documents(session, meeting.id)
        ],
        attendance=await attendance_out(session, meeting.id),
        motions=[
            await motion_out(session, m, meeting, body) for m in await repository.motions(session, meeting.id)
        ],
    )
