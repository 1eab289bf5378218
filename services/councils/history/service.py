"""The change history, read: triggers write it (migration 0007), in the transaction of each change."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.history import repository
from services.councils.history.schemas import AuditEntryOut
from shared.pagination import BIG_ID, Page, decode_cursor, page_of


async def list_history(
    session: AsyncSession, *, entity: str | None, entity_id: str | None, cursor: str | None, limit: int
) -> Page[AuditEntryOut]:
    key = decode_cursor(cursor, (BIG_ID,))
    rows = await repository.page(
        session, entity=entity, entity_id=entity_id, after_id=int(key[0]) if key else None, limit=limit + 1
    )
    return page_of([AuditEntryOut.model_validate(row) for row in rows], limit, lambda item: [item.id])
