from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.budget.history.schemas import HistoryEntryOut, Table
from services.budget.models import SCHEMA
from shared.auth import Identity, Role, require_roles
from shared.db import SessionDep
from shared.history import history_page
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/budget", tags=["budget history"], route_class=JsonBodyRoute)


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
    return await history_page(
        session, HistoryEntryOut, schema=SCHEMA, table=table, record_id=record_id, cursor=cursor, limit=limit
    )
