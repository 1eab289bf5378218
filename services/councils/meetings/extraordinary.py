"""Who may call an extraordinary meeting: the requesters or resolution named, checked against the rules.

Extraordinary meetings (협치서울지역협의회 운영규정): the steering committee's are called on the request of
2 or more steering members (제5조③, the minimum is the body's `extraordinary_min_requesters`), the
plenary's by a steering-committee resolution (제4조④). The sources name no rule for other bodies (the Seoul
Governance Council holds 임시회 "when needed", the Promotion Group meets "as needed"), so their
extraordinary meetings are accepted and keep the requesters and resolution given.
"""

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.errors import UnknownReference
from services.councils.common.vocab import BodyKind
from services.councils.meetings import repository
from services.councils.meetings.core import load_meeting, meeting_day, seat_holders
from services.councils.meetings.errors import (
    NotExtraordinary,
    RequesterNotAMember,
    ResolutionAfterMeeting,
    ResolutionNotOfSteeringCommittee,
    ResolutionNotPassed,
    ResolutionRequired,
    TooFewRequesters,
)
from services.councils.meetings.motions import motion_out
from services.councils.organizations import repository as organizations
from services.councils.organizations.models import Organization

REQUESTED_BY = "body.requested_by"
CALLED_BY = "body.called_by_motion_id"


def called_by_rule(body: Organization) -> bool:
    """Whether the body's extraordinary meetings must name requesters or a resolution."""
    return body.extraordinary_min_requesters is not None or body.classification == BodyKind.plenary


async def check_call(
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
                detail_ko=f"요구로 소집할 수 있는 것은 임시회의뿐입니다. 이 회의는 {kind} 회의입니다.",
                field=REQUESTED_BY,
            )
        if called_by is not None:
            raise NotExtraordinary(
                f"only an extraordinary meeting is called by a resolution; this is a {kind} meeting",
                detail_ko=f"의결로 소집할 수 있는 것은 임시회의뿐입니다. 이 회의는 {kind} 회의입니다.",
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
    _, holders = await seat_holders(session, body, day)
    for person_id in people:
        if person_id not in holders:
            raise RequesterNotAMember(
                f"person {person_id} holds no seat in {body.name_ko} (body {body.id}) on {day}: "
                "only its members may request an extraordinary meeting",
                detail_ko=(
                    f"인물 {person_id}은(는) {day}에 {body.name_ko}(기구 {body.id})의 위원이 아닙니다."
                    " 위원만 임시회의를 요구할 수 있습니다."
                ),
                field=REQUESTED_BY,
            )
    if len(people) < minimum:
        raise TooFewRequesters(
            f"an extraordinary meeting of {body.name_ko} (body {body.id}) is called on the request of "
            f"at least {minimum} of its members seated on the meeting's date "
            f"(rules.extraordinary_min_requesters); "
            f"{len(people)} {'person' if len(people) == 1 else 'people'} requested it",
            detail_ko=(
                f"{body.name_ko}(기구 {body.id})의 임시회의는 회의일에 재임 중인 위원"
                f" {minimum}명 이상의 요구로 소집합니다(rules.extraordinary_min_requesters)."
                f" 요구한 위원은 {len(people)}명입니다."
            ),
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
            detail_ko=(
                f"전체회의 {body.name_ko}(기구 {body.id})의 임시회의는 운영위원회 의결로"
                " 소집합니다(운영규정 제4조④). called_by_motion_id를 지정하십시오."
            ),
            field=CALLED_BY,
        )
    motion = await repository.get_motion(session, called_by)
    if motion is None:
        raise UnknownReference("motion", called_by, CALLED_BY)
    cited, cited_body = await load_meeting(session, motion.meeting_id)
    if plenary:
        steering = await _steering_committees(session, body)
        if cited_body.id not in {committee.id for committee in steering}:
            ours = ", ".join(f"{c.name_ko} (body {c.id})" for c in steering) or "none is recorded"
            raise ResolutionNotOfSteeringCommittee(
                f"motion {motion.id} is of {cited_body.name_ko} (body {cited_body.id}), not of the steering "
                f"committee of {body.name_ko} (body {body.id}): {ours}",
                detail_ko=(
                    f"안건 {motion.id}은(는) {cited_body.name_ko}(기구 {cited_body.id})의 안건이며,"
                    f" {body.name_ko}(기구 {body.id}) 운영위원회의 안건이 아닙니다: {ours}"
                ),
                field=CALLED_BY,
            )
    cited_day = meeting_day(cited)
    if cited.id == meeting_id or cited_day > day:
        raise ResolutionAfterMeeting(
            f"motion {motion.id} was moved on {cited_day} at meeting {cited.id}: it cannot have called a "
            f"meeting held on {day}",
            detail_ko=(
                f"안건 {motion.id}은(는) {cited_day}에 회의 {cited.id}에서 발의되었으므로"
                f" {day}에 열린 회의를 소집했을 수 없습니다."
            ),
            field=CALLED_BY,
        )
    if plenary:
        vote = (await motion_out(session, motion, cited, cited_body)).vote
        if vote.result != "pass":
            raise ResolutionNotPassed(
                f"motion {motion.id} of {cited_body.name_ko} did not pass (result: {vote.result}): "
                f"{vote.explanation}",
                detail_ko=(
                    f"{cited_body.name_ko}의 안건 {motion.id}은(는) 가결되지 않았습니다(결과: {vote.result}):"
                    f" {vote.explanation}"
                ),
                field=CALLED_BY,
            )
