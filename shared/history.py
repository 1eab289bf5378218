"""A service's change history as its audit triggers write it (`<schema>.history`, one row a change, never
changed): the entry as the API gives it and the cursor-paged read, oldest first. Budget and evaluation read
theirs through this; each names its own entry type (its own OpenAPI schema and example)."""

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.dates import SeoulDatetime
from shared.pagination import BIG_ID, Page, decode_cursor, page_of


class HistoryEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: SeoulDatetime
    table_name: str
    record_id: str | None
    action: Literal["insert", "update", "delete"]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor: str
    actor_role: str | None
    reason: str | None
    request_id: str | None = Field(
        description="The X-Request-ID of the request that made the change; none for a change outside one."
    )


Entry = TypeVar("Entry", bound=HistoryEntry)


async def history_page(
    session: AsyncSession,
    entry: type[Entry],
    *,
    schema: str,
    table: str | None,
    record_id: str | None,
    cursor: str | None,
    limit: int,
) -> Page[Entry]:
    """One page of `schema`'s history, optionally of one table and one row of it."""
    key = decode_cursor(cursor, (BIG_ID,))
    result = await session.execute(
        text(
            f"SELECT * FROM {schema}.history WHERE (CAST(:after AS bigint) IS NULL OR id > :after)"
            " AND (CAST(:table AS text) IS NULL OR table_name = :table)"
            " AND (CAST(:record AS text) IS NULL OR record_id = :record) ORDER BY id LIMIT :limit"
        ),
        {"after": int(key[0]) if key else None, "table": table, "record": record_id, "limit": limit + 1},
    )
    items = [entry.model_validate(dict(row)) for row in result.mappings()]
    return page_of(items, limit, lambda item: [item.id])
