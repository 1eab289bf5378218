"""A meeting's agenda items and documents."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.meetings import repository
from services.councils.meetings.core import writable_meeting
from services.councils.meetings.models import AgendaItem, MeetingDocument
from services.councils.meetings.schemas import AgendaItemIn, AgendaItemOut, DocumentIn, DocumentOut
from shared.auth import Identity


async def add_agenda_item(
    session: AsyncSession, *, meeting_id: int, data: AgendaItemIn, actor: Identity
) -> AgendaItemOut:
    meeting, _ = await writable_meeting(session, meeting_id, actor)
    item = AgendaItem(meeting_id=meeting.id, position=await repository.next_position(session, meeting.id))
    for name, value in data.model_dump().items():
        setattr(item, name, value)
    await repository.add(session, item)
    return AgendaItemOut.model_validate(item)


async def add_document(
    session: AsyncSession, *, meeting_id: int, data: DocumentIn, actor: Identity
) -> DocumentOut:
    meeting, _ = await writable_meeting(session, meeting_id, actor)
    document = MeetingDocument(meeting_id=meeting.id, **data.model_dump())
    await repository.add(session, document)
    return DocumentOut.model_validate(document)
