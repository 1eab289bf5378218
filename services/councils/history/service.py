"""The change history: every write of the registry records itself here, in the same transaction."""

from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.history.models import AuditEntry
from services.councils.history.schemas import AuditEntryOut
from shared.auth import Identity
from shared.logging import request_id_var
from shared.pagination import BIG_ID, Page, decode_cursor, page_of

Snapshot = BaseModel | dict[str, Any] | None


def _json(snapshot: Snapshot) -> dict[str, Any] | None:
    if isinstance(snapshot, BaseModel):
        return snapshot.model_dump(mode="json")
    return snapshot


async def record(
    session: AsyncSession,
    actor: Identity,
    *,
    entity: str,
    entity_id: object,
    action: str,
    before: Snapshot = None,
    after: Snapshot = None,
) -> None:
    """Add the change to the unit of work; it commits or rolls back with the change itself."""
    session.add(
        AuditEntry(
            actor_subject=actor.subject,
            actor_role=actor.role.value,
            entity_type=entity,
            entity_id=str(entity_id),
            action=action,
            before=_json(before),
            after=_json(after),
            request_id=request_id_var.get(),
        )
    )
    await session.flush()


async def list_history(
    session: AsyncSession, *, entity: str | None, entity_id: str | None, cursor: str | None, limit: int
) -> Page[AuditEntryOut]:
    key = decode_cursor(cursor, (BIG_ID,))
    query = select(AuditEntry).order_by(AuditEntry.id).limit(limit + 1)
    if entity is not None:
        query = query.where(AuditEntry.entity_type == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if key:
        query = query.where(AuditEntry.id > int(key[0]))
    rows = (await session.scalars(query)).all()
    return page_of([AuditEntryOut.model_validate(row) for row in rows], limit, lambda item: [item.id])
