"""Motions and decisions: the vote counts recorded, the result computed from the body's rules."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.access import ensure_can_record_meetings
from services.councils.common.errors import UnknownReference
from services.councils.common.thresholds import Threshold
from services.councils.meetings import repository
from services.councils.meetings.core import (
    load_meeting,
    meeting_day,
    present_count,
    seat_holders,
    writable_meeting,
)
from services.councils.meetings.errors import InvalidMeetingRecord, MotionNotFound
from services.councils.meetings.models import Meeting, Motion
from services.councils.meetings.rules import Tally, tally
from services.councils.meetings.schemas import (
    Counts,
    Decision,
    MotionCreate,
    MotionOut,
    MotionResult,
    MotionUpdate,
    ThresholdCheck,
)
from services.councils.organizations.models import Organization
from shared.auth import Identity


def motion_counts(motion: Motion) -> Counts | None:
    if motion.yes_count is None or motion.no_count is None or motion.abstain_count is None:
        return None
    return Counts(yes=motion.yes_count, no=motion.no_count, abstain=motion.abstain_count)


def check_votes(counts: Counts | None, present: int, field: str) -> None:
    if counts is not None and counts.yes + counts.no + counts.abstain > present:
        raise InvalidMeetingRecord(
            f"{counts.yes + counts.no + counts.abstain} votes counted but {present} members present",
            detail_ko=(
                f"집계된 표는 {counts.yes + counts.no + counts.abstain}표이지만 출석 위원은"
                f" {present}명입니다."
            ),
            field=field,
        )


def _rules(body: Organization, motion: Motion) -> tuple[Threshold, Threshold]:
    quorum = Threshold.of(body.quorum_num, body.quorum_den, body.quorum_strict)
    if motion.classification == "rule_amendment":
        return quorum, Threshold.of(body.amend_num, body.amend_den, body.amend_strict)
    return quorum, Threshold.of(body.pass_num, body.pass_den, body.pass_strict)


def _requirement(quorum: Threshold, passing: Threshold) -> str:
    return f"{quorum.words()} of enrolled members present; {passing.words()} of those present in favour"


async def _decide(
    session: AsyncSession, motion: Motion, meeting: Meeting, body: Organization
) -> tuple[Tally, str]:
    day = meeting_day(meeting)
    enrolled, holders = await seat_holders(session, body, day)
    present = await present_count(session, meeting, holders)
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
            quorum=ThresholdCheck(
                rule=quorum.describe(result.enrolled, "enrolled"),
                required=result.quorum_required,
                met=result.quorum_met,
            ),
            counts=motion_counts(motion),
            passing=ThresholdCheck(
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
    meeting, body = await writable_meeting(session, meeting_id, actor)
    if data.agenda_item_id is not None:
        item = await repository.get_agenda_item(session, data.agenda_item_id)
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
    return await motion_out(session, motion, meeting, body)


async def _set_counts(
    session: AsyncSession, motion: Motion, counts: Counts | None, meeting: Meeting, body: Organization
) -> None:
    if counts is not None:
        _, holders = await seat_holders(session, body, meeting_day(meeting))
        check_votes(counts, await present_count(session, meeting, holders), "body.counts")
    motion.yes_count = counts.yes if counts else None
    motion.no_count = counts.no if counts else None
    motion.abstain_count = counts.abstain if counts else None


async def _motion(
    session: AsyncSession, motion_id: int, field: str = "path.motion_id"
) -> tuple[Motion, Meeting, Organization]:
    motion = await repository.get_motion(session, motion_id)
    if motion is None:
        raise MotionNotFound(motion_id, field)
    meeting, body = await load_meeting(session, motion.meeting_id)
    return motion, meeting, body


async def update_motion(
    session: AsyncSession, *, motion_id: int, data: MotionUpdate, actor: Identity
) -> MotionOut:
    motion, meeting, body = await _motion(session, motion_id)
    ensure_can_record_meetings(actor, body.district_code)
    if data.title is not None:
        motion.title = data.title
    if "text" in data.model_fields_set:
        motion.text = data.text
    if "counts" in data.model_fields_set:
        await _set_counts(session, motion, data.counts, meeting, body)
    await session.flush()
    return await motion_out(session, motion, meeting, body)


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
