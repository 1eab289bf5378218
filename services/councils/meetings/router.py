from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from services.councils.common.access import Recorder
from services.councils.meetings import agenda, attendance, listing, motions, schedules, service
from services.councils.meetings.schemas import (
    AgendaItemIn,
    AgendaItemOut,
    AttendanceOut,
    AttendanceSet,
    Decision,
    DocumentIn,
    DocumentOut,
    ExpandRequest,
    Expansion,
    MeetingCreate,
    MeetingDetail,
    MeetingKind,
    MeetingOut,
    MeetingUpdate,
    MotionCreate,
    MotionOut,
    MotionUpdate,
    ScheduleCreate,
    ScheduleOut,
)
from shared.dates import IsoDate
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page
from shared.preconditions import RecordVersion, versioned_read, versioned_write

router = APIRouter(prefix="/councils", tags=["meetings and decisions"], route_class=JsonBodyRoute)


def _id(description: str) -> object:
    return Path(ge=1, le=2**31 - 1, description=description)


MeetingId = Annotated[int, _id("The meeting's id.")]
MotionId = Annotated[int, _id("The motion's id.")]
BodyId = Annotated[int, _id("The body's id.")]
ScheduleId = Annotated[int, _id("The schedule's id.")]
BodyQuery = Annotated[int | None, Query(ge=1, description="Only this body's meetings.")]
DistrictQuery = Annotated[str | None, Query(pattern=r"^\d{5}$", description="Only bodies of this district.")]
FromQuery = Annotated[IsoDate | None, Query(alias="from", description="From this date (Asia/Seoul).")]
ToQuery = Annotated[IsoDate | None, Query(alias="to", description="Up to and including this date.")]


@router.post("/meetings", status_code=201, summary="Record a meeting")
async def create_meeting(session: SessionDep, data: MeetingCreate, actor: Recorder) -> MeetingDetail:
    """A meeting of a body with its agenda (secretariats, city officers)."""
    return await service.create_meeting(session, data=data, actor=actor)


@router.get("/meetings", summary="List meetings")
async def list_meetings(
    session: SessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
    organization_id: BodyQuery = None,
    district: DistrictQuery = None,
    kind: Annotated[MeetingKind | None, Query(description="Only this kind of meeting.")] = None,
    start: FromQuery = None,
    end: ToQuery = None,
) -> Page[MeetingOut]:
    """Meetings in time order, filtered by body, district, kind and date window."""
    return await listing.list_meetings(
        session,
        organization_id=organization_id,
        district=district,
        kind=kind,
        start=start,
        end=end,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/meetings.ics",
    summary="Meetings as iCalendar",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "An iCalendar feed."}},
)
async def export_meetings_ical(
    session: SessionDep,
    organization_id: BodyQuery = None,
    district: DistrictQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
) -> Response:
    """An iCalendar (RFC 5545) feed of meetings, times in Asia/Seoul with TZID."""
    text = await listing.calendar(
        session, organization_id=organization_id, district=district, start=start, end=end
    )
    return Response(text, media_type="text/calendar; charset=utf-8")


@router.get(
    "/meetings/{meeting_id}",
    summary="Get a meeting",
    dependencies=[Depends(versioned_read("councils.meetings", "meeting_id"))],
)
async def get_meeting(session: SessionDep, meeting_id: MeetingId) -> MeetingDetail:
    """A meeting with its agenda, documents, attendance and motions (with their results)."""
    return await service.meeting_detail(session, meeting_id)


@router.patch("/meetings/{meeting_id}", summary="Change a meeting")
async def update_meeting(
    session: SessionDep,
    meeting_id: MeetingId,
    data: MeetingUpdate,
    actor: Recorder,
    record: Annotated[RecordVersion, Depends(versioned_write("councils.meetings", "meeting_id"))],
    response: Response,
) -> MeetingOut:
    """Change a meeting's time, place, status or notes."""
    out = await service.update_meeting(session, meeting_id=meeting_id, data=data, actor=actor)
    await record.tag(response)
    return out


@router.post("/meetings/{meeting_id}/agenda-items", status_code=201, summary="Add an agenda item")
async def add_agenda_item(
    session: SessionDep, meeting_id: MeetingId, data: AgendaItemIn, actor: Recorder
) -> AgendaItemOut:
    """Append an item to the meeting's agenda."""
    return await agenda.add_agenda_item(session, meeting_id=meeting_id, data=data, actor=actor)


@router.post("/meetings/{meeting_id}/documents", status_code=201, summary="Attach a meeting document")
async def add_document(
    session: SessionDep, meeting_id: MeetingId, data: DocumentIn, actor: Recorder
) -> DocumentOut:
    """The agenda paper, the minutes or another attachment."""
    return await agenda.add_document(session, meeting_id=meeting_id, data=data, actor=actor)


@router.put("/meetings/{meeting_id}/attendance", summary="Record attendance")
async def set_attendance(
    session: SessionDep, meeting_id: MeetingId, data: AttendanceSet, actor: Recorder
) -> list[AttendanceOut]:
    """Present, absent or excused per member (observers for non-members); returns the whole list."""
    return await attendance.set_attendance(session, meeting_id=meeting_id, data=data, actor=actor)


@router.post("/meetings/{meeting_id}/motions", status_code=201, summary="Record a motion")
async def create_motion(
    session: SessionDep, meeting_id: MeetingId, data: MotionCreate, actor: Recorder
) -> MotionOut:
    """A motion and, once voted, its yes/no/abstain counts; the result is computed from the body's rules."""
    return await motions.create_motion(session, meeting_id=meeting_id, data=data, actor=actor)


@router.get(
    "/motions/{motion_id}",
    summary="Get a motion and its result",
    dependencies=[Depends(versioned_read("councils.motions", "motion_id"))],
)
async def get_motion(session: SessionDep, motion_id: MotionId) -> MotionOut:
    """The motion with its result and the arithmetic behind it."""
    return await motions.read_motion(session, motion_id)


@router.patch("/motions/{motion_id}", summary="Change a motion or record its vote")
async def update_motion(
    session: SessionDep,
    motion_id: MotionId,
    data: MotionUpdate,
    actor: Recorder,
    record: Annotated[RecordVersion, Depends(versioned_write("councils.motions", "motion_id"))],
    response: Response,
) -> MotionOut:
    """Change the title or text, or record the vote counts."""
    out = await motions.update_motion(session, motion_id=motion_id, data=data, actor=actor)
    await record.tag(response)
    return out


@router.get("/decisions/{decision_id}", summary="Cite a decision")
async def get_decision(session: SessionDep, decision_id: Annotated[int, _id("The motion's id.")]) -> Decision:
    """Whether a motion passed, in which body and district, on what date — for other services to cite."""
    return await motions.decision(session, decision_id)


@router.post("/bodies/{body_id}/schedules", status_code=201, summary="Declare a regular meeting schedule")
async def create_schedule(
    session: SessionDep, body_id: BodyId, data: ScheduleCreate, actor: Recorder
) -> ScheduleOut:
    """E.g. monthly on the 4th Thursday at 10:00."""
    return await schedules.create_schedule(session, body_id=body_id, data=data, actor=actor)


@router.get("/bodies/{body_id}/schedules", summary="List a body's meeting schedules")
async def list_schedules(session: SessionDep, body_id: BodyId) -> list[ScheduleOut]:
    """The regular schedules declared for a body."""
    return await schedules.list_schedules(session, body_id)


@router.get("/schedules/{schedule_id}/occurrences", summary="Preview a schedule's dates")
async def list_schedule_occurrences(
    session: SessionDep,
    schedule_id: ScheduleId,
    start: Annotated[IsoDate, Query(alias="from")],
    end: Annotated[IsoDate, Query(alias="to")],
) -> list[datetime]:
    """The meeting times the schedule gives in a window (Asia/Seoul), without creating meetings."""
    return await schedules.preview(session, schedule_id=schedule_id, start=start, end=end)


@router.post("/schedules/{schedule_id}/expand", summary="Create a schedule's meetings")
async def expand_schedule(
    session: SessionDep, schedule_id: ScheduleId, data: ExpandRequest, actor: Recorder
) -> Expansion:
    """Create the meetings of a window (at most three years); existing ones are kept, so it is idempotent."""
    return await schedules.expand(
        session, schedule_id=schedule_id, start=data.start, end=data.end, actor=actor
    )
