"""Meetings: agenda, documents, attendance and motions whose result is computed from the body's rules."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.access import ensure_can_record_meetings
from services.councils.common.errors import UnknownReference
from services.councils.common.vocab import BodyKind
from services.councils.history.service import record
from services.councils.meetings import repository
from services.councils.meetings.errors import (
    ExtraordinaryNotScheduled,
    InvalidMeetingRecord,
    MeetingNotFound,
    MotionNotFound,
    NotExtraordinary,
    RequesterNotAMember,
    ResolutionAfterMeeting,
    ResolutionNotOfSteeringCommittee,
    ResolutionNotPassed,
    ResolutionRequired,
    ScheduleNotFound,
    TooFewRequesters,
)
from services.councils.meetings.ical import Event, calendar_text
from services.councils.meetings.models import AgendaItem, Meeting, MeetingDocument, MeetingSchedule, Motion
from services.councils.meetings.rules import Tally, tally
from services.councils.meetings.rules import Threshold as Rule
from services.councils.meetings.schedule import Rule as ScheduleRule
from services.councils.meetings.schedule import occurrences
from services.councils.meetings.schemas import (
    WEEKDAYS,
    AgendaItemIn,
    AgendaItemOut,
    AttendanceOut,
    AttendanceSet,
    Counts,
    Decision,
    DocumentIn,
    DocumentOut,
    Expansion,
    MeetingCreate,
    MeetingDetail,
    MeetingOut,
    MeetingUpdate,
    MotionCreate,
    MotionOut,
    MotionResult,
    MotionUpdate,
    ScheduleCreate,
    ScheduleOut,
    Threshold,
)
from services.councils.memberships.service import count_seats, seats_on
from services.councils.organizations import repository as organizations
from services.councils.organizations.models import Organization
from services.councils.organizations.service import get_body, is_body
from shared.auth import Identity
from shared.db import register_constraint
from shared.pagination import ID, INSTANT, Page, decode_cursor, page_of
from shared.problems import Conflict
from shared.seoul import SEOUL, seoul_date

register_constraint(
    "uq_meetings_organization_id_starts_at", Conflict, "the body already meets at this time", "body.starts_at"
)
MAX_EXPANSION = timedelta(days=3 * 366)


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


async def _body(session: AsyncSession, organization_id: int, field: str) -> Organization:
    body = await organizations.get(session, organization_id)
    if body is None or not is_body(body):
        raise UnknownReference("governance body", organization_id, field)
    return body


async def _meeting(session: AsyncSession, meeting_id: int) -> tuple[Meeting, Organization]:
    meeting = await repository.get_meeting(session, meeting_id)
    if meeting is None:
        raise MeetingNotFound(meeting_id)
    return meeting, await get_body(session, meeting.organization_id)


async def _writable_meeting(
    session: AsyncSession, meeting_id: int, actor: Identity
) -> tuple[Meeting, Organization]:
    meeting, body = await _meeting(session, meeting_id)
    ensure_can_record_meetings(actor, body.district_code)
    return meeting, body


async def create_meeting(session: AsyncSession, *, data: MeetingCreate, actor: Identity) -> MeetingDetail:
    body = await _body(session, data.organization_id, "body.organization_id")
    ensure_can_record_meetings(actor, body.district_code)
    requesters = await _check_call(
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
    for position, item in enumerate(data.agenda, start=1):
        session.add(AgendaItem(meeting_id=meeting.id, position=position, **item.model_dump()))
    await session.flush()
    detail = await meeting_detail(session, meeting.id)
    await record(session, actor, entity="meeting", entity_id=meeting.id, action="create", after=detail)
    return detail


async def update_meeting(
    session: AsyncSession, *, meeting_id: int, data: MeetingUpdate, actor: Identity
) -> MeetingOut:
    meeting, body = await _writable_meeting(session, meeting_id, actor)
    requesters = await repository.requesters(session, meeting.id)
    before = meeting_out(meeting, requesters)
    given = data.model_fields_set
    for name in given - {"requested_by", "called_by_motion_id"}:
        value = getattr(data, name)
        if value is not None or name in ("ends_at", "place", "note"):
            setattr(meeting, name, value)
    if meeting.ends_at is not None and meeting.ends_at <= meeting.starts_at:
        raise InvalidMeetingRecord("must be after starts_at", field="body.ends_at")
    if "called_by_motion_id" in given:
        meeting.called_by_motion_id = data.called_by_motion_id
    if given & {"starts_at", "requested_by", "called_by_motion_id"}:
        # A new date, new requesters or a new resolution must still call the meeting.
        requesters = await _check_call(
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
    out = meeting_out(meeting, await repository.requesters(session, meeting.id))
    await record(
        session, actor, entity="meeting", entity_id=meeting.id, action="update", before=before, after=out
    )
    return out


# Extraordinary meetings (협치서울지역협의회 운영규정): the steering committee's are called on the request of
# 2 or more steering members (제5조③, the minimum is the body's `extraordinary_min_requesters`), the
# plenary's by a steering-committee resolution (제4조④). The sources name no rule for other bodies (the Seoul
# Governance Council holds 임시회 "when needed", the Promotion Group meets "as needed"), so their
# extraordinary meetings are accepted and keep the requesters and resolution given.
REQUESTED_BY = "body.requested_by"
CALLED_BY = "body.called_by_motion_id"


def _called_by_rule(body: Organization) -> bool:
    """Whether the body's extraordinary meetings must name requesters or a resolution."""
    return body.extraordinary_min_requesters is not None or body.classification == BodyKind.plenary


async def _check_call(
    session: AsyncSession,
    body: Organization,
    *,
    kind: str,
    day: date,
    requested_by: Sequence[int],
    called_by: int | None,
    meeting_id: int | None = None,
) -> list[int]:
    """Check who requested the meeting and which resolution called it; the distinct requesters, in order."""
    people = list(dict.fromkeys(requested_by))
    if kind != "extraordinary":
        if people:
            raise NotExtraordinary(
                f"only an extraordinary meeting is called on request; this is a {kind} meeting",
                field=REQUESTED_BY,
            )
        if called_by is not None:
            raise NotExtraordinary(
                f"only an extraordinary meeting is called by a resolution; this is a {kind} meeting",
                field=CALLED_BY,
            )
        return []
    await _check_requesters(session, body, day, people)
    if called_by is not None or body.classification == BodyKind.plenary:
        await _check_resolution(session, body, day, called_by, meeting_id)
    return people


async def _check_requesters(session: AsyncSession, body: Organization, day: date, people: list[int]) -> None:
    known = await repository.existing_persons(session, people)
    for person_id in people:
        if person_id not in known:
            raise UnknownReference("person", person_id, REQUESTED_BY)
    minimum = body.extraordinary_min_requesters
    if minimum is None:
        return
    _, holders = await _seat_holders(session, body, day)
    for person_id in people:
        if person_id not in holders:
            raise RequesterNotAMember(
                f"person {person_id} holds no seat in {body.name_ko} (body {body.id}) on {day}: "
                "only its members may request an extraordinary meeting",
                field=REQUESTED_BY,
            )
    if len(people) < minimum:
        raise TooFewRequesters(
            f"an extraordinary meeting of {body.name_ko} (body {body.id}) is called on the request of "
            f"at least {minimum} of its members seated on the meeting's date "
            f"(rules.extraordinary_min_requesters); "
            f"{len(people)} {'person' if len(people) == 1 else 'people'} requested it",
            field=REQUESTED_BY,
        )


async def _steering_committees(session: AsyncSession, plenary: Organization) -> list[Organization]:
    """The plenary's steering committee: beside it under the same parent (the association), or under it."""
    candidates = list(await organizations.children(session, plenary.id))
    if plenary.parent_id is not None:
        candidates += await organizations.children(session, plenary.parent_id)
    return [body for body in candidates if body.classification == BodyKind.steering_committee]


async def _check_resolution(
    session: AsyncSession, body: Organization, day: date, called_by: int | None, meeting_id: int | None
) -> None:
    plenary = body.classification == BodyKind.plenary
    if called_by is None:
        raise ResolutionRequired(
            f"an extraordinary meeting of the plenary {body.name_ko} (body {body.id}) is called by a "
            "resolution of its steering committee (운영규정 제4조④): give called_by_motion_id",
            field=CALLED_BY,
        )
    motion = await repository.get_motion(session, called_by)
    if motion is None:
        raise UnknownReference("motion", called_by, CALLED_BY)
    cited, cited_body = await _meeting(session, motion.meeting_id)
    if plenary:
        steering = await _steering_committees(session, body)
        if cited_body.id not in {committee.id for committee in steering}:
            ours = ", ".join(f"{c.name_ko} (body {c.id})" for c in steering) or "none is recorded"
            raise ResolutionNotOfSteeringCommittee(
                f"motion {motion.id} is of {cited_body.name_ko} (body {cited_body.id}), not of the steering "
                f"committee of {body.name_ko} (body {body.id}): {ours}",
                field=CALLED_BY,
            )
    cited_day = meeting_day(cited)
    if cited.id == meeting_id or cited_day > day:
        raise ResolutionAfterMeeting(
            f"motion {motion.id} was moved on {cited_day} at meeting {cited.id}: it cannot have called a "
            f"meeting held on {day}",
            field=CALLED_BY,
        )
    if plenary:
        vote = (await motion_out(session, motion, cited, cited_body)).vote
        if vote.result != "pass":
            raise ResolutionNotPassed(
                f"motion {motion.id} of {cited_body.name_ko} did not pass (result: {vote.result}): "
                f"{vote.explanation}",
                field=CALLED_BY,
            )


async def add_agenda_item(
    session: AsyncSession, *, meeting_id: int, data: AgendaItemIn, actor: Identity
) -> AgendaItemOut:
    meeting, _ = await _writable_meeting(session, meeting_id, actor)
    item = AgendaItem(meeting_id=meeting.id, position=await repository.next_position(session, meeting.id))
    for name, value in data.model_dump().items():
        setattr(item, name, value)
    await repository.add(session, item)
    out = AgendaItemOut.model_validate(item)
    await record(session, actor, entity="agenda_item", entity_id=item.id, action="create", after=out)
    return out


async def add_document(
    session: AsyncSession, *, meeting_id: int, data: DocumentIn, actor: Identity
) -> DocumentOut:
    meeting, _ = await _writable_meeting(session, meeting_id, actor)
    document = MeetingDocument(meeting_id=meeting.id, **data.model_dump())
    await repository.add(session, document)
    out = DocumentOut.model_validate(document)
    await record(session, actor, entity="meeting_document", entity_id=document.id, action="create", after=out)
    return out


async def _seat_holders(session: AsyncSession, body: Organization, day: date) -> tuple[int, set[int]]:
    seats = await seats_on(session, body.id, day)
    _, _, enrolled, _ = count_seats(seats)
    return enrolled, {seat.person_id for seat in seats if seat.person_id is not None}


async def _present(session: AsyncSession, meeting: Meeting, holders: set[int]) -> int:
    rows = await repository.attendance(session, meeting.id)
    return sum(1 for row, _ in rows if row.status == "present" and row.person_id in holders)


async def set_attendance(
    session: AsyncSession, *, meeting_id: int, data: AttendanceSet, actor: Identity
) -> list[AttendanceOut]:
    meeting, body = await _writable_meeting(session, meeting_id, actor)
    day = meeting_day(meeting)
    _, holders = await _seat_holders(session, body, day)
    before = await _attendance_out(session, meeting.id)
    for index, item in enumerate(data.records):
        if item.status != "observer" and item.person_id not in holders:
            raise InvalidMeetingRecord(
                f"person {item.person_id} holds no seat in body {body.id} on {day}; "
                "record them as an observer",
                field=f"body.records.{index}.person_id",
            )
        await repository.upsert_attendance(session, meeting.id, item.person_id, item.status, item.note)
    present = await _present(session, meeting, holders)
    for motion in await repository.motions(session, meeting.id):
        _check_votes(motion_counts(motion), present, "body.records")
    after = await _attendance_out(session, meeting.id)
    await record(
        session,
        actor,
        entity="attendance",
        entity_id=meeting.id,
        action="update",
        before={"records": [a.model_dump() for a in before]},
        after={"records": [a.model_dump() for a in after]},
    )
    return after


async def _attendance_out(session: AsyncSession, meeting_id: int) -> list[AttendanceOut]:
    return [
        AttendanceOut(person_id=row.person_id, name_ko=name, status=row.status, note=row.note)
        for row, name in await repository.attendance(session, meeting_id)
    ]


def motion_counts(motion: Motion) -> Counts | None:
    if motion.yes_count is None or motion.no_count is None or motion.abstain_count is None:
        return None
    return Counts(yes=motion.yes_count, no=motion.no_count, abstain=motion.abstain_count)


def _check_votes(counts: Counts | None, present: int, field: str) -> None:
    if counts is not None and counts.yes + counts.no + counts.abstain > present:
        raise InvalidMeetingRecord(
            f"{counts.yes + counts.no + counts.abstain} votes counted but {present} members present",
            field=field,
        )


def _rules(body: Organization, motion: Motion) -> tuple[Rule, Rule]:
    quorum = Rule(body.quorum_num, body.quorum_den, "more_than" if body.quorum_strict else "at_least")
    if motion.classification == "rule_amendment":
        passing = Rule(body.amend_num, body.amend_den, "more_than" if body.amend_strict else "at_least")
    else:
        passing = Rule(body.pass_num, body.pass_den, "more_than" if body.pass_strict else "at_least")
    return quorum, passing


def _requirement(quorum: Rule, passing: Rule) -> str:
    return f"{quorum.words()} of enrolled members present; {passing.words()} of those present in favour"


async def _decide(
    session: AsyncSession, motion: Motion, meeting: Meeting, body: Organization
) -> tuple[Tally, str]:
    day = meeting_day(meeting)
    enrolled, holders = await _seat_holders(session, body, day)
    present = await _present(session, meeting, holders)
    quorum, passing = _rules(body, motion)
    counts = motion_counts(motion)
    votes = (counts.yes, counts.no, counts.abstain) if counts else None
    result = tally(
        enrolled=enrolled, present=present, quorum=quorum, passing=passing, votes=votes, on=str(day)
    )
    return result, _requirement(quorum, passing)


async def motion_out(
    session: AsyncSession, motion: Motion, meeting: Meeting, body: Organization
) -> MotionOut:
    result, requirement = await _decide(session, motion, meeting, body)
    quorum, passing = _rules(body, motion)
    return MotionOut(
        id=motion.id,
        meeting_id=motion.meeting_id,
        agenda_item_id=motion.agenda_item_id,
        title=motion.title,
        text=motion.text,
        classification=motion.classification,
        requirement=requirement,
        vote=MotionResult(
            on=meeting_day(meeting),
            enrolled=result.enrolled,
            present=result.present,
            quorum=Threshold(
                rule=quorum.describe(result.enrolled, "enrolled"),
                required=result.quorum_required,
                met=result.quorum_met,
            ),
            counts=motion_counts(motion),
            passing=Threshold(
                rule=passing.describe(result.present, "present"),
                required=result.pass_required,
                met=None if result.yes is None else result.yes >= result.pass_required,
            ),
            passed=result.passed,
            result="pending" if result.passed is None else "pass" if result.passed else "fail",
            explanation=result.explanation,
        ),
    )


async def create_motion(
    session: AsyncSession, *, meeting_id: int, data: MotionCreate, actor: Identity
) -> MotionOut:
    meeting, body = await _writable_meeting(session, meeting_id, actor)
    if data.agenda_item_id is not None:
        item = await session.get(AgendaItem, data.agenda_item_id)
        if item is None or item.meeting_id != meeting.id:
            raise UnknownReference("agenda item of this meeting", data.agenda_item_id, "body.agenda_item_id")
    motion = Motion(
        meeting_id=meeting.id,
        agenda_item_id=data.agenda_item_id,
        title=data.title,
        text=data.text,
        classification=data.classification,
    )
    await _set_counts(session, motion, data.counts, meeting, body)
    await repository.add(session, motion)
    out = await motion_out(session, motion, meeting, body)
    await record(session, actor, entity="motion", entity_id=motion.id, action="create", after=out)
    return out


async def _set_counts(
    session: AsyncSession, motion: Motion, counts: Counts | None, meeting: Meeting, body: Organization
) -> None:
    if counts is not None:
        _, holders = await _seat_holders(session, body, meeting_day(meeting))
        _check_votes(counts, await _present(session, meeting, holders), "body.counts")
    motion.yes_count = counts.yes if counts else None
    motion.no_count = counts.no if counts else None
    motion.abstain_count = counts.abstain if counts else None


async def _motion(
    session: AsyncSession, motion_id: int, field: str = "path.motion_id"
) -> tuple[Motion, Meeting, Organization]:
    motion = await repository.get_motion(session, motion_id)
    if motion is None:
        raise MotionNotFound(motion_id, field)
    meeting, body = await _meeting(session, motion.meeting_id)
    return motion, meeting, body


async def update_motion(
    session: AsyncSession, *, motion_id: int, data: MotionUpdate, actor: Identity
) -> MotionOut:
    motion, meeting, body = await _motion(session, motion_id)
    ensure_can_record_meetings(actor, body.district_code)
    before = await motion_out(session, motion, meeting, body)
    if data.title is not None:
        motion.title = data.title
    if "text" in data.model_fields_set:
        motion.text = data.text
    if "counts" in data.model_fields_set:
        await _set_counts(session, motion, data.counts, meeting, body)
    await session.flush()
    out = await motion_out(session, motion, meeting, body)
    await record(
        session, actor, entity="motion", entity_id=motion.id, action="update", before=before, after=out
    )
    return out


async def read_motion(session: AsyncSession, motion_id: int) -> MotionOut:
    motion, meeting, body = await _motion(session, motion_id)
    return await motion_out(session, motion, meeting, body)


async def decision(session: AsyncSession, motion_id: int) -> Decision:
    motion, meeting, body = await _motion(session, motion_id, "path.decision_id")
    out = await motion_out(session, motion, meeting, body)
    return Decision(
        id=motion.id,
        title=motion.title,
        classification=out.classification,
        body_id=body.id,
        body_name_ko=body.name_ko,
        body_classification=body.classification,
        district_code=body.district_code,
        meeting_id=meeting.id,
        date=meeting_day(meeting),
        passed=out.vote.passed,
        result=out.vote.result,
        explanation=out.vote.explanation,
    )


async def meeting_detail(session: AsyncSession, meeting_id: int) -> MeetingDetail:
    meeting, body = await _meeting(session, meeting_id)
    requesters = await repository.requesters(session, meeting.id)
    return MeetingDetail(
        **meeting_out(meeting, requesters).model_dump(),
        agenda=[AgendaItemOut.model_validate(item) for item in await repository.agenda(session, meeting.id)],
        documents=[
            DocumentOut.model_validate(doc) for doc in await repository.documents(session, meeting.id)
        ],
        attendance=await _attendance_out(session, meeting.id),
        motions=[
            await motion_out(session, m, meeting, body) for m in await repository.motions(session, meeting.id)
        ],
    )


def _window(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    return (
        datetime.combine(start, time(), tzinfo=SEOUL) if start else None,
        datetime.combine(end + timedelta(days=1), time(), tzinfo=SEOUL) if end else None,
    )


async def list_meetings(
    session: AsyncSession,
    *,
    organization_id: int | None,
    district: str | None,
    kind: str | None,
    start: date | None,
    end: date | None,
    cursor: str | None,
    limit: int,
) -> Page[MeetingOut]:
    key = decode_cursor(cursor, (INSTANT, ID))
    after = (key[0], key[1]) if key else None
    low, high = _window(start, end)
    rows = await repository.list_meetings(
        session,
        organization_id=organization_id,
        district=district,
        kind=kind,
        start=low,
        end=high,
        after=after,
        limit=limit + 1,
    )
    requesters = await repository.requesters_of(session, [row.id for row in rows])
    return page_of(
        [meeting_out(row, requesters.get(row.id, [])) for row in rows],
        limit,
        lambda m: [m.starts_at.isoformat(), m.id],
    )


async def calendar(
    session: AsyncSession,
    *,
    organization_id: int | None,
    district: str | None,
    start: date | None,
    end: date | None,
) -> str:
    low, high = _window(start, end)
    rows = await repository.list_meetings(
        session,
        organization_id=organization_id,
        district=district,
        kind=None,
        start=low,
        end=high,
        after=None,
        limit=5000,
    )
    events = [
        Event(
            uid=f"meeting-{m.id}@councils.governance.seoul",
            starts_at=m.starts_at,
            ends_at=m.ends_at,
            summary=m.title,
            location=m.place,
            description=m.note,
            status={"scheduled": "TENTATIVE", "held": "CONFIRMED", "cancelled": "CANCELLED"}[m.status],
        )
        for m in rows
    ]
    return calendar_text(events, "서울 협치 회의")


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
    out = schedule_out(schedule)
    await record(session, actor, entity="meeting_schedule", entity_id=schedule.id, action="create", after=out)
    return out


async def list_schedules(session: AsyncSession, body_id: int) -> list[ScheduleOut]:
    body = await get_body(session, body_id)
    return [schedule_out(s) for s in await repository.schedules(session, body.id)]


def _schedulable(body: Organization, kind: str, field: str) -> None:
    if kind == "extraordinary" and _called_by_rule(body):
        raise ExtraordinaryNotScheduled(
            f"extraordinary meetings of {body.name_ko} (body {body.id}) are called by request or resolution, "
            "not by a regular schedule; record each with POST /councils/meetings",
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
        raise InvalidMeetingRecord("must not be before `from`", field=f"{field}.to")
    if end - start > MAX_EXPANSION:
        raise InvalidMeetingRecord("expand at most three years at a time", field=f"{field}.to")
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
        await record(
            session,
            actor,
            entity="meeting",
            entity_id=meeting.id,
            action="create",
            after=meeting_out(meeting, []),
        )
        created.append(meeting)
    requesters = await repository.requesters_of(session, [m.id for m in existing])
    return Expansion(
        created=[meeting_out(m, []) for m in created],
        existing=[meeting_out(m, requesters.get(m.id, [])) for m in _sorted(existing)],
    )


def _sorted(meetings: Sequence[Meeting]) -> list[Meeting]:
    return sorted(meetings, key=lambda m: m.starts_at)
