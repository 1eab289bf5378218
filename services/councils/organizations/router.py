from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.councils.common.access import RegistryWriter
from services.councils.common.vocab import BodyKind, OrganizationKind
from services.councils.organizations import service
from services.councils.organizations.schemas import (
    BodyCreate,
    BodyOut,
    BodyUpdate,
    OrganizationCreate,
    OrganizationOut,
    OrganizationUpdate,
    PostCreate,
    PostOut,
)
from shared.dates import IsoDate
from shared.db import ReadSessionDep, SessionDep
from shared.driver import driver_connection
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page
from shared.preconditions import RecordVersion, etag, versioned_read, versioned_write

router = APIRouter(prefix="/councils", tags=["bodies and organizations"], route_class=JsonBodyRoute)

BodyId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The body's id.")]
# As versioned_read declares its id (no description), so that the contract is the same.
VersionedId = Annotated[int, Path(ge=1, le=2**31 - 1)]
OrganizationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The organization's id.")]
DistrictQuery = Annotated[str | None, Query(pattern=r"^\d{5}$", description="Only this district's records.")]


@router.post("/bodies", status_code=201, summary="Register a governance body")
async def create_body(session: SessionDep, data: BodyCreate, actor: RegistryWriter) -> BodyOut:
    """A council, TFT, subcommittee, steering committee…; district officers for their district only."""
    return await service.create_body(session, data=data, actor=actor)


@router.get("/bodies", summary="Search governance bodies")
async def list_bodies(
    session: ReadSessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
    district: DistrictQuery = None,
    kind: Annotated[BodyKind | None, Query(description="Only bodies of this classification.")] = None,
    parent_id: Annotated[int | None, Query(ge=1, description="Only bodies directly under this one.")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Name contains (Korean or English).")] = None,
    active_on: Annotated[IsoDate | None, Query(description="Only bodies existing on this date.")] = None,
) -> Page[BodyOut]:
    """Governance bodies in registration order, filtered by district, kind, parent, name and date."""
    return await service.list_bodies(
        session,
        cursor=cursor,
        limit=limit,
        district=district,
        kind=kind,
        parent_id=parent_id,
        q=q,
        active_on=active_on,
    )


@router.get("/bodies/{body_id}", summary="Get a governance body", response_model=BodyOut)
async def get_body(request: Request, body_id: VersionedId) -> Response:
    """One governance body with its policy fields and decision rules."""
    # A hot read: the registry's version (one read shared by the requests waiting for it), then the cached
    # body or the body and its version (the ETag) in one statement, on the bare connection (shared.driver).
    state = request.app.state
    body, version = await service.read_body_cached(
        partial(driver_connection, request), state.registry_versions, state.read_cache, body_id
    )
    return Response(body, media_type="application/json", headers={"ETag": etag(version)})


@router.patch("/bodies/{body_id}", summary="Change a governance body")
async def update_body(
    session: SessionDep,
    body_id: BodyId,
    data: BodyUpdate,
    actor: RegistryWriter,
    record: Annotated[RecordVersion, Depends(versioned_write("councils.organizations", "body_id"))],
    response: Response,
) -> BodyOut:
    """Change the given fields of a body (its rules, cap, dates, parent…)."""
    out = await service.update_body(session, body_id=body_id, data=data, actor=actor)
    await record.tag(response)
    return out


@router.post("/bodies/{body_id}/posts", status_code=201, summary="Add a post to a body")
async def create_post(
    session: SessionDep, body_id: BodyId, data: PostCreate, actor: RegistryWriter
) -> PostOut:
    """A Popolo post: a named position in the body (e.g. a district's communication-lead seat)."""
    return await service.create_post(session, body_id=body_id, data=data, actor=actor)


@router.get("/bodies/{body_id}/posts", summary="List a body's posts")
async def list_posts(session: SessionDep, body_id: BodyId) -> list[PostOut]:
    """The posts of one body."""
    return await service.list_posts(session, body_id)


@router.post("/organizations", status_code=201, summary="Register an organization")
async def create_organization(
    session: SessionDep, data: OrganizationCreate, actor: RegistryWriter
) -> OrganizationOut:
    """A civil-society organisation or a consortium; district officers for their district only."""
    return await service.create_organization(session, data=data, actor=actor)


@router.get("/organizations", summary="Search organizations")
async def list_organizations(
    session: SessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
    district: DistrictQuery = None,
    kind: Annotated[OrganizationKind | None, Query(description="Only this classification.")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Name contains.")] = None,
) -> Page[OrganizationOut]:
    """Civil-society organisations and consortia, filtered by district, kind and name."""
    return await service.list_organizations(
        session, cursor=cursor, limit=limit, district=district, kind=kind, q=q
    )


@router.get(
    "/organizations/{organization_id}",
    summary="Get an organization",
    dependencies=[Depends(versioned_read("councils.organizations", "organization_id"))],
)
async def get_organization(session: SessionDep, organization_id: OrganizationId) -> OrganizationOut:
    """One civil-society organisation or consortium."""
    return await service.read_organization(session, organization_id)


@router.patch("/organizations/{organization_id}", summary="Change an organization")
async def update_organization(
    session: SessionDep,
    organization_id: OrganizationId,
    data: OrganizationUpdate,
    actor: RegistryWriter,
    record: Annotated[RecordVersion, Depends(versioned_write("councils.organizations", "organization_id"))],
    response: Response,
) -> OrganizationOut:
    """Change the given fields of an organization."""
    out = await service.update_organization(session, organization_id=organization_id, data=data, actor=actor)
    await record.tag(response)
    return out
