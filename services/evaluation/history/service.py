from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.history import repository
from services.evaluation.history.schemas import HistoryEntryOut
from shared.pagination import BIG_ID, Page, decode_cursor, page_of


async def list_history(
    session: AsyncSession, *, table: str | None, record_id: str | None, cursor: str | None, limit: int
) -> Page[HistoryEntryOut]:
    key = decode_cursor(cursor, (BIG_ID,))
    rows = await repository.list_entries(
        session, table=table, record_id=record_id, after_id=int(key[0]) if key else None, limit=limit + 1
    )
    return page_of([HistoryEntryOut.model_validate(row) for row in rows], limit, lambda item: [item.id])
