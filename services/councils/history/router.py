from typing import Annotated

from fastapi import APIRouter, Query

from services.councils.common.access import is_official
from services.councils.history import service
from services.councils.history.schemas import AuditEntryOut
from shared.auth import OptionalIdentity
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page
from shared.problems import Forbidden, Unauthorized

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
    if identity is None:
        raise Unauthorized(
            "the change history needs a bearer token",
            detail_ko="변경 이력을 보려면 bearer 토큰이 필요합니다.",
        )
    if not is_official(identity):
        raise Forbidden("the change history is not public", detail_ko="변경 이력은 공개되지 않습니다.")
    return await service.list_history(session, entity=entity, entity_id=entity_id, cursor=cursor, limit=limit)
