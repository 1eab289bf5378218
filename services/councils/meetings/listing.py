"""Meetings listed by body, district, kind and date window, as a page or as an iCalendar feed."""

from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.meetings import repository
from services.councils.meetings.core import meeting_out
from services.councils.meetings.ical import Event, calendar_text
from services.councils.meetings.schemas import MeetingOut
from shared.pagination import ID, INSTANT, Page, decode_cursor, page_of
from shared.seoul import SEOUL


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
