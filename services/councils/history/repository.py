"""Reads of the change history (`audit_log`), oldest first; its rows are written by triggers only."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.history.models import AuditEntry


async def list_entries(
    session: AsyncSession, *, entity: str | None, entity_id: str | None, after_id: int | None, limit: int
) -> Sequence[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id).limit(limit)
    if entity is not None:
        query = query.where(AuditEntry.entity_type == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if after_id is not None:
        query = query.where(AuditEntry.id > after_id)
    return (await session.scalars(query)).all()
