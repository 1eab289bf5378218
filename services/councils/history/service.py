"""The change history: every write of the registry records itself here, in the same transaction."""

from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.history import repository
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
    await repository.add(
        session,
        AuditEntry(
            actor_subject=actor.subject,
            actor_role=actor.role.value,
            entity_type=entity,
            entity_id=str(entity_id),
            action=action,
            before=_json(before),
            after=_json(after),
            request_id=request_id_var.get(),
        ),
    )


async def list_history(
    session: AsyncSession, *, entity: str | None, entity_id: str | None, cursor: str | None, limit: int
) -> Page[AuditEntryOut]:
    key = decode_cursor(cursor, (BIG_ID,))
    rows = await repository.page(
        session, entity=entity, entity_id=entity_id, after_id=int(key[0]) if key else None, limit=limit + 1
    )
    return page_of([AuditEntryOut.model_validate(row) for row in rows], limit, lambda item: [item.id])
