from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.history.models import HistoryEntry


async def list_entries(
    session: AsyncSession, *, table: str | None, record_id: str | None, after_id: int | None, limit: int
) -> Sequence[HistoryEntry]:
    query = select(HistoryEntry).order_by(HistoryEntry.id).limit(limit)
    if table is not None:
        query = query.where(HistoryEntry.table_name == table)
    if record_id is not None:
        query = query.where(HistoryEntry.record_id == record_id)
    if after_id is not None:
        query = query.where(HistoryEntry.id > after_id)
    return (await session.scalars(query)).all()
