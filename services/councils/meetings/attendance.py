"""Attendance: who was present, absent or excused, checked against the seats and the votes already counted."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.meetings import repository
from services.councils.meetings.core import meeting_day, present_count, seat_holders, writable_meeting
from services.councils.meetings.errors import InvalidMeetingRecord
from services.councils.meetings.motions import check_votes, motion_counts
from services.councils.meetings.schemas import AttendanceOut, AttendanceSet
from shared.auth import Identity


async def set_attendance(
    session: AsyncSession, *, meeting_id: int, data: AttendanceSet, actor: Identity
) -> list[AttendanceOut]:
    meeting, body = await writable_meeting(session, meeting_id, actor)
    day = meeting_day(meeting)
    _, holders = await seat_holders(session, body, day)
    for index, item in enumerate(data.records):
        if item.status != "observer" and item.person_id not in holders:
            raise InvalidMeetingRecord(
                f"person {item.person_id} holds no seat in body {body.id} on {day}; "
                "record them as an observer",
                detail_ko=(
                    f"인물 {item.person_id}은(는) {day}에 기구 {body.id}의 위원이 아닙니다."
                    " 참관인으로 기록하십시오."
                ),
                field=f"body.records.{index}.person_id",
            )
        await repository.upsert_attendance(session, meeting.id, item.person_id, item.status, item.note)
    present = await present_count(session, meeting, holders)
    for motion in await repository.motions(session, meeting.id):
        check_votes(motion_counts(motion), present, "body.records")
    return await attendance_out(session, meeting.id)


async def attendance_out(session: AsyncSession, meeting_id: int) -> list[AttendanceOut]:
    return [
        AttendanceOut(person_id=row.person_id, name_ko=name, status=row.status, note=row.note)
        for row, name in await repository.attendance(session, meeting_id)
    ]
