from typing import Annotated

from fastapi import APIRouter, Query

from services.councils.history import service
from services.councils.history.schemas import AuditEntryOut
from shared.auth import OptionalIdentity
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/councils", tags=["history"], route_class=JsonBodyRoute)


@router.get("/history", summary="Read the change history")
async def list_history(
    session: SessionDep,
    identity: OptionalIdentity,
    entity: Annotated[str | None, Query(description="Entity type, e.g. `membership`.")] = None,
    entity_id: Annotated[
        str | None, Query(alias="id", description="The entity's id (with `entity`).")
    ] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[AuditEntryOut]:
    """Every recorded change (actor, time, before/after), oldest first; officials and auditors only."""
    return await service.list_history(
        session, reader=identity, entity=entity, entity_id=entity_id, cursor=cursor, limit=limit
    )
