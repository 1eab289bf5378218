"""The change history, read: triggers write it (migration 0007), in the transaction of each change."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.access import is_official
from services.councils.history import repository
from services.councils.history.schemas import AuditEntryOut
from shared.auth import Identity
from shared.pagination import BIG_ID, Page, decode_cursor, page_of
from shared.problems import Forbidden, Unauthorized


async def list_history(
    session: AsyncSession,
    *,
    reader: Identity | None,
    entity: str | None,
    entity_id: str | None,
    cursor: str | None,
    limit: int,
) -> Page[AuditEntryOut]:
    """Officials and auditors only: anonymous callers are a 401, citizens a 403."""
    if reader is None:
        raise Unauthorized(
            "the change history needs a bearer token",
            detail_ko="변경 이력을 보려면 bearer 토큰이 필요합니다.",
        )
    if not is_official(reader):
        raise Forbidden("the change history is not public", detail_ko="변경 이력은 공개되지 않습니다.")
    key = decode_cursor(cursor, (BIG_ID,))
    rows = await repository.list_entries(
        session, entity=entity, entity_id=entity_id, after_id=int(key[0]) if key else None, limit=limit + 1
    )
    return page_of([AuditEntryOut.model_validate(row) for row in rows], limit, lambda item: [item.id])
