"""Regular meeting schedules: declared per body, previewed, and expanded into meetings."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.access import ensure_can_record_meetings
from services.councils.meetings import repository
from services.councils.meetings.core import meeting_out
from services.councils.meetings.errors import (
    ExtraordinaryNotScheduled,
    InvalidMeetingRecord,
    ScheduleNotFound,
)
from services.councils.meetings.extraordinary import called_by_rule
from services.councils.meetings.models import Meeting, MeetingSchedule
from services.councils.meetings.schedule import ScheduleRule, occurrences
from services.councils.meetings.schemas import WEEKDAYS, Expansion, ScheduleCreate, ScheduleOut
from services.councils.organizations.models import Organization
from services.councils.organizations.service import get_body
from shared.auth import Identity

MAX_EXPANSION = timedelta(days=3 * 366)


def schedule_out(schedule: MeetingSchedule) -> ScheduleOut:
    return ScheduleOut(
        id=schedule.id,
        organization_id=schedule.organization_id,
        kind=schedule.kind,
        title=schedule.title,
        interval_months=schedule.interval_months,
        week_of_month=schedule.week_of_month,
        weekday=WEEKDAYS[schedule.weekday],
        start_time=schedule.start_time,
        duration_minutes=schedule.duration_minutes,
        place=schedule.place,
        valid_from=schedule.valid_from,
        valid_until=schedule.valid_until,
        note=schedule.note,
    )


async def create_schedule(
    session: AsyncSession, *, body_id: int, data: ScheduleCreate, actor: Identity
) -> ScheduleOut:
    body = await get_body(session, body_id)
    ensure_can_record_meetings(actor, body.district_code)
    _schedulable(body, data.kind, "body.kind")
    fields = data.model_dump()
    fields["weekday"] = WEEKDAYS.index(data.weekday)
    schedule = MeetingSchedule(organization_id=body.id, **fields)
    await repository.add(session, schedule)
    return schedule_out(schedule)


async def list_schedules(session: AsyncSession, body_id: int) -> list[ScheduleOut]:
    body = await get_body(session, body_id)
    return [schedule_out(s) for s in await repository.schedules(session, body.id)]


def _schedulable(body: Organization, kind: str, field: str) -> None:
    if kind == "extraordinary" and called_by_rule(body):
        raise ExtraordinaryNotScheduled(
            f"extraordinary meetings of {body.name_ko} (body {body.id}) are called by request or resolution, "
            "not by a regular schedule; record each with POST /councils/meetings",
            detail_ko=(
                f"{body.name_ko}(기구 {body.id})의 임시회의는 정기 일정이 아니라 요구나 의결로 소집합니다."
                " 각 회의를 POST /councils/meetings로 기록하십시오."
            ),
            field=field,
        )


def _rule(schedule: MeetingSchedule) -> ScheduleRule:
    return ScheduleRule(
        interval_months=schedule.interval_months,
        week_of_month=schedule.week_of_month,
        weekday=schedule.weekday,
        at=schedule.start_time,
        valid_from=schedule.valid_from,
        valid_until=schedule.valid_until,
    )


async def _schedule(session: AsyncSession, schedule_id: int) -> MeetingSchedule:
    schedule = await repository.get_schedule(session, schedule_id)
    if schedule is None:
        raise ScheduleNotFound(schedule_id)
    return schedule


def _times(schedule: MeetingSchedule, start: date, end: date, field: str) -> list[datetime]:
    if end < start:
        raise InvalidMeetingRecord(
            "must not be before `from`", detail_ko="`from`보다 앞설 수 없습니다.", field=f"{field}.to"
        )
    if end - start > MAX_EXPANSION:
        raise InvalidMeetingRecord(
            "expand at most three years at a time",
            detail_ko="한 번에 최대 3년까지 펼칠 수 있습니다.",
            field=f"{field}.to",
        )
    return occurrences(_rule(schedule), start, end)


async def preview(session: AsyncSession, *, schedule_id: int, start: date, end: date) -> list[datetime]:
    return _times(await _schedule(session, schedule_id), start, end, "query")


async def expand(
    session: AsyncSession, *, schedule_id: int, start: date, end: date, actor: Identity
) -> Expansion:
    """Create the schedule's meetings in the window; meetings already there are left as they are."""
    schedule = await _schedule(session, schedule_id)
    body = await get_body(session, schedule.organization_id)
    ensure_can_record_meetings(actor, body.district_code)
    _schedulable(body, schedule.kind, "path.schedule_id")
    times = _times(schedule, start, end, "body")
    existing = await repository.meetings_at(session, body.id, times)
    taken = {m.starts_at for m in existing}
    created: list[Meeting] = []
    for moment in times:
        if moment in taken:
            continue
        ends = moment + timedelta(minutes=schedule.duration_minutes) if schedule.duration_minutes else None
        meeting = Meeting(
            organization_id=body.id,
            schedule_id=schedule.id,
            kind=schedule.kind,
            title=schedule.title,
            starts_at=moment,
            ends_at=ends,
            place=schedule.place,
            status="scheduled",
        )
        await repository.add(session, meeting)
        created.append(meeting)
    requesters = await repository.requesters_of(session, [m.id for m in existing])
    return Expansion(
        created=[meeting_out(m, []) for m in created],
        existing=[meeting_out(m, requesters.get(m.id, [])) for m in _sorted(existing)],
    )


def _sorted(meetings: Sequence[Meeting]) -> list[Meeting]:
    return sorted(meetings, key=lambda m: m.starts_at)
