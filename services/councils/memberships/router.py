from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.councils.common.access import RegistryWriter
from services.councils.memberships import service
from services.councils.memberships.district_composition import district_composition
from services.councils.memberships.repository import MembershipFilter
from services.councils.memberships.schemas import (
    Composition,
    MembershipCreate,
    MembershipOut,
    MembershipSearch,
    MembershipUpdate,
    UnnamedSeats,
)
from shared.dates import IsoDate
from shared.db import ReadSessionDep, SessionDep
from shared.driver import driver_connection
from shared.json_body import JsonBodyRoute
from shared.pagination import Page
from shared.preconditions import RecordVersion, versioned_read, versioned_write

router = APIRouter(prefix="/councils", tags=["memberships"], route_class=JsonBodyRoute)

MembershipId = Annotated[int, Path(ge=1, le=2**31 - 1)]
BodyId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The body's id.")]


@router.post("/memberships", status_code=201, summary="Add a membership")
async def create_membership(
    session: SessionDep, data: MembershipCreate, actor: RegistryWriter
) -> MembershipOut:
    """Seat a person (or organisation, or an unnamed seat) in a body; the database enforces the rules."""
    return await service.create_membership(session, data=data, actor=actor)


@router.get("/memberships", summary="Search memberships", response_model=Page[MembershipOut])
async def list_memberships(request: Request, q: Annotated[MembershipSearch, Query()]) -> Response:
    """Memberships filtered by body, person, district, sector, role, body kind and date (who represents X)."""
    filters = MembershipFilter(
        organization_id=q.organization_id,
        person_id=q.person_id,
        district=q.district,
        sector=q.sector.value if q.sector else None,
        role=q.role.value if q.role else None,
        kind=q.kind.value if q.kind else None,
        active_on=q.active_on,
    )
    # A hot read on the bare connection (shared.driver): the registry's version (one read shared by the
    # requests waiting for it), then the cached page or one statement whose rows become the page's JSON.
    state = request.app.state
    page = await service.list_memberships(
        partial(driver_connection, request),
        state.registry_versions,
        state.read_cache,
        filters=filters,
        cursor=q.cursor,
        limit=q.limit,
    )
    return Response(page, media_type="application/json")


@router.get(
    "/memberships/{membership_id}",
    summary="Get a membership",
    dependencies=[Depends(versioned_read("councils.memberships", "membership_id"))],
)
async def get_membership(session: SessionDep, membership_id: MembershipId) -> MembershipOut:
    """One membership."""
    return await service.read_membership(session, membership_id)


@router.patch("/memberships/{membership_id}", summary="Change or end a membership")
async def update_membership(
    session: SessionDep,
    membership_id: MembershipId,
    data: MembershipUpdate,
    actor: RegistryWriter,
    record: Annotated[RecordVersion, Depends(versioned_write("councils.memberships", "membership_id"))],
    response: Response,
) -> MembershipOut:
    """Change the given fields; to end a membership give end_date and end_reason."""
    out = await service.update_membership(session, membership_id=membership_id, data=data, actor=actor)
    await record.tag(response)
    return out


@router.delete("/memberships/{membership_id}", status_code=204, summary="Delete a membership")
async def delete_membership(
    session: SessionDep, membership_id: MembershipId, actor: RegistryWriter
) -> Response:
    """Remove a membership recorded in error (history keeps it)."""
    await service.delete_membership(session, membership_id=membership_id, actor=actor)
    return Response(status_code=204)


@router.get("/bodies/{body_id}/composition", summary="Composition of a body on a date")
async def get_composition(
    session: SessionDep,
    body_id: BodyId,
    on: Annotated[
        IsoDate | None, Query(description="The date (YYYY-MM-DD); today in Seoul by default.")
    ] = None,
) -> Composition:
    """Seats held on the date by sector — total (계), civil (민), councillors (구의원), officials (관)."""
    return await service.composition(session, body_id=body_id, on=on)


@router.get("/districts/{code}/composition", summary="Composition of a district's bodies on a date")
async def get_district_composition(
    session: ReadSessionDep,
    code: Annotated[
        str, Path(pattern=r"^\d{5}$", description="5-digit administrative code", examples=["11110"])
    ],
    on: Annotated[
        IsoDate | None, Query(description="The date (YYYY-MM-DD); today in Seoul by default.")
    ] = None,
) -> list[Composition]:
    """Every governance body of the district with its seats on the date, counted as each body's own
    composition is (anyone): three queries whatever the number of bodies and seats."""
    return await district_composition(session, code=code, on=on)


@router.post("/bodies/{body_id}/unnamed-seats", status_code=201, summary="Add seats a record does not name")
async def add_unnamed_seats(
    session: SessionDep, body_id: BodyId, data: UnnamedSeats, actor: RegistryWriter
) -> list[MembershipOut]:
    """Record `count` seats of one sector whose holders the source does not name (all or none)."""
    return await service.add_unnamed_seats(session, body_id=body_id, data=data, actor=actor)
