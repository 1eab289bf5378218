from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.common import SeoulDatetime
from shared.auth import Identity, Role, require_roles
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import BIG_ID, CursorParam, LimitParam, Page, decode_cursor, page_of

router = APIRouter(prefix="/budget", tags=["budget history"], route_class=JsonBodyRoute)

Table = Literal[
    "funding_types",
    "programme_nodes",
    "district_funding",
    "grant_policies",
    "grant_phases",
    "grants",
    "evaluation_results",
]


class HistoryEntryOut(BaseModel):
    id: int
    at: SeoulDatetime
    table_name: str = Field(examples=["grants"])
    record_id: str | None
    action: Literal["insert", "update", "delete"]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor: str
    actor_role: str | None
    reason: str | None


async def list_history(
    session: AsyncSession, *, table: str | None, record_id: str | None, cursor: str | None, limit: int
) -> Page[HistoryEntryOut]:
    key = decode_cursor(cursor, (BIG_ID,))
    result = await session.execute(
        text(
            "SELECT * FROM budget.history WHERE (CAST(:after AS bigint) IS NULL OR id > :after)"
            " AND (CAST(:table AS text) IS NULL OR table_name = :table)"
            " AND (CAST(:record AS text) IS NULL OR record_id = :record) ORDER BY id LIMIT :limit"
        ),
        {"after": int(key[0]) if key else None, "table": table, "record": record_id, "limit": limit + 1},
    )
    items = [HistoryEntryOut.model_validate(dict(row)) for row in result.mappings()]
    return page_of(items, limit, lambda item: [item.id])


@router.get("/history", summary="Read the money records' change history")
async def get_history(
    session: SessionDep,
    _: Annotated[Identity, Depends(require_roles(Role.city_officer, Role.auditor))],
    table: Annotated[Table | None, Query(description="Only this table's changes.")] = None,
    record_id: Annotated[
        str | None, Query(max_length=40, description="Only this row's (with `table`).")
    ] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[HistoryEntryOut]:
    """Every change of funding types, the programme budget, district funding, grant policies, grants and
    evaluation results: actor, role, time, reason, before and after; oldest first."""
    return await list_history(session, table=table, record_id=record_id, cursor=cursor, limit=limit)
