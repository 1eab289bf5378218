from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.councils.common.access import RegistryWriter
from services.councils.platforms import service
from services.councils.platforms.schemas import PlatformCreate, PlatformOut
from shared.db import ReadSessionDep, SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/councils", tags=["civic platforms"], route_class=JsonBodyRoute)


@router.post("/platforms", status_code=201, summary="Register a civic cooperation platform")
async def create_platform(session: SessionDep, data: PlatformCreate, actor: RegistryWriter) -> PlatformOut:
    """A district's 시민협력플랫폼 and the consortium that runs it."""
    return await service.create_platform(session, data=data, actor=actor)


@router.get("/platforms", summary="List civic cooperation platforms")
async def list_platforms(
    session: ReadSessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
    district: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
) -> Page[PlatformOut]:
    """Platforms with their consortium members, representatives and managers."""
    return await service.list_platforms(session, district=district, cursor=cursor, limit=limit)


@router.get("/platforms/{platform_id}", summary="Get a civic cooperation platform")
async def get_platform(
    session: ReadSessionDep, platform_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> PlatformOut:
    """One platform with its consortium members, representatives and managers."""
    return await service.read_platform(session, platform_id)
