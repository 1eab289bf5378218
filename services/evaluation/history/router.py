from typing import Annotated

from fastapi import APIRouter, Query

from services.evaluation.common import Staff
from services.evaluation.history.schemas import HistoryEntryOut, Table
from services.evaluation.models import SCHEMA
from shared.db import SessionDep
from shared.history import history_page
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/evaluation", tags=["evaluation history"], route_class=JsonBodyRoute)


@router.get("/history", summary="Read the change history")
async def list_history(
    session: SessionDep,
    _: Staff,
    table: Annotated[Table | None, Query(description="Only this table's changes.")] = None,
    record_id: Annotated[
        str | None, Query(max_length=40, description="Only this row's (with `table`).")
    ] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[HistoryEntryOut]:
    """Every change of the evaluation's records (actor, role, time, reason, before, after), oldest first."""
    return await history_page(
        session, HistoryEntryOut, schema=SCHEMA, table=table, record_id=record_id, cursor=cursor, limit=limit
    )
