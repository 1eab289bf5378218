"""Reads and writes of meetings, their agenda, documents, attendance and motions."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.meetings.models import (
    AgendaItem,
    Attendance,
    Meeting,
    MeetingDocument,
    MeetingRequester,
    MeetingSchedule,
    Motion,
)
from services.councils.organizations.models import Organization
from services.councils.people.models import Person


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row)


async def add_agenda(session: AsyncSession, meeting_id: int, items: Sequence[dict[str, Any]]) -> None:
    """The meeting's agenda items, numbered from 1 in the given order."""
    for position, item in enumerate(items, start=1):
        session.add(AgendaItem(meeting_id=meeting_id, position=position, **item))
    await session.flush()


async def get_agenda_item(session: AsyncSession, item_id: int) -> AgendaItem | None:
    return await session.get(AgendaItem, item_id)


async def get_meeting(session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.get(Meeting, meeting_id)


async def get_motion(session: AsyncSession, motion_id: int) -> Motion | None:
    return await session.get(Motion, motion_id)


async def get_schedule(session: AsyncSession, schedule_id: int) -> MeetingSchedule | None:
    return await session.get(MeetingSchedule, schedule_id)


async def list_meetings(
    session: AsyncSession,
    *,
    organization_id: int | None,
    district: str | None,
    kind: str | None,
    start: datetime | None,
    end: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int | None,
) -> Sequence[Meeting]:
    query = select(Meeting).order_by(Meeting.starts_at, Meeting.id)
    if limit is not None:
        query = query.limit(limit)
    if organization_id is not None:
        query = query.where(Meeting.organization_id == organization_id)
    if district is not None:
        bodies = select(Organization.id).where(Organization.district_code == district)
        query = query.where(Meeting.organization_id.in_(bodies))
    if kind is not None:
        query = query.where(Meeting.kind == kind)
    if start is not None:
        query = query.where(Meeting.starts_at >= start)
    if end is not None:
        query = query.where(Meeting.starts_at < end)
    if after is not None:
        query = query.where(tuple_(Meeting.starts_at, Meeting.id) > tuple_(*after))
    return (await session.scalars(query)).all()


async def meetings_of(session: AsyncSession, organization_ids: Sequence[int]) -> Sequence[Meeting]:
    """Every meeting of these bodies, in time order."""
    query = (
        select(Meeting)
        .where(Meeting.organization_id.in_(organization_ids))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return (await session.scalars(query)).all()


async def meetings_at(
    session: AsyncSession, organization_id: int, times: Sequence[datetime]
) -> Sequence[Meeting]:
    query = select(Meeting).where(Meeting.organization_id == organization_id, Meeting.starts_at.in_(times))
    return (await session.scalars(query)).all()


async def agenda(session: AsyncSession, meeting_id: int) -> Sequence[AgendaItem]:
    query = select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.position)
    return (await session.scalars(query)).all()


async def next_position(session: AsyncSession, meeting_id: int) -> int:
    items = await agenda(session, meeting_id)
    return (items[-1].position + 1) if items else 1


async def documents(session: AsyncSession, meeting_id: int) -> Sequence[MeetingDocument]:
    query = (
        select(MeetingDocument).where(MeetingDocument.meeting_id == meeting_id).order_by(MeetingDocument.id)
    )
    return (await session.scalars(query)).all()


async def attendance(session: AsyncSession, meeting_id: int) -> Sequence[tuple[Attendance, str]]:
    query = (
        select(Attendance, Person.name_ko)
        .join(Person, Person.id == Attendance.person_id)
        .where(Attendance.meeting_id == meeting_id)
        .order_by(Attendance.person_id)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def upsert_attendance(
    session: AsyncSession, meeting_id: int, person_id: int, status: str, note: str | None
) -> None:
    statement = insert(Attendance).values(
        meeting_id=meeting_id, person_id=person_id, status=status, note=note
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Attendance.meeting_id, Attendance.person_id], set_={"status": status, "note": note}
    )
    await session.execute(statement)


async def motions(session: AsyncSession, meeting_id: int) -> Sequence[Motion]:
    query = select(Motion).where(Motion.meeting_id == meeting_id).order_by(Motion.id)
    return (await session.scalars(query)).all()


async def motions_of(session: AsyncSession, meeting_ids: Sequence[int]) -> Sequence[Motion]:
    """Every motion of these meetings, by meeting then in the order recorded."""
    query = select(Motion).where(Motion.meeting_id.in_(meeting_ids)).order_by(Motion.meeting_id, Motion.id)
    return (await session.scalars(query)).all()


async def schedules(session: AsyncSession, organization_id: int) -> Sequence[MeetingSchedule]:
    query = select(MeetingSchedule).where(MeetingSchedule.organization_id == organization_id)
    return (await session.scalars(query.order_by(MeetingSchedule.id))).all()


async def requesters_of(session: AsyncSession, meeting_ids: Sequence[int]) -> dict[int, list[int]]:
    """Who requested each of these meetings (person ids, ascending); meetings without any are left out."""
    query = (
        select(MeetingRequester.meeting_id, MeetingRequester.person_id)
        .where(MeetingRequester.meeting_id.in_(meeting_ids))
        .order_by(MeetingRequester.meeting_id, MeetingRequester.person_id)
    )
    found: dict[int, list[int]] = {}
    for meeting_id, person_id in (await session.execute(query)).all():
        found.setdefault(meeting_id, []).append(person_id)
    return found


async def requesters(session: AsyncSession, meeting_id: int) -> list[int]:
    return (await requesters_of(session, [meeting_id])).get(meeting_id, [])


async def set_requesters(session: AsyncSession, meeting_id: int, person_ids: Sequence[int]) -> None:
    """Make these people the meeting's requesters, touching only the rows that change.

    Those who stay keep their row, so the history records a create for each one added and a delete for each
    one removed, nothing for the others. The meeting's row is locked first, so that two changes at once are
    applied one after the other, the second against what the first left: the last one is the list stored."""
    await session.execute(select(Meeting.id).where(Meeting.id == meeting_id).with_for_update())
    current = set(await requesters(session, meeting_id))
    wanted = set(person_ids)
    if gone := current - wanted:
        await session.execute(
            delete(MeetingRequester).where(
                MeetingRequester.meeting_id == meeting_id, MeetingRequester.person_id.in_(gone)
            )
        )
    if added := [p for p in dict.fromkeys(person_ids) if p not in current]:
        rows = [{"meeting_id": meeting_id, "person_id": p} for p in added]
        await session.execute(insert(MeetingRequester).values(rows))


async def existing_persons(session: AsyncSession, person_ids: Sequence[int]) -> set[int]:
    query = select(Person.id).where(Person.id.in_(person_ids))
    return set((await session.scalars(query)).all())
