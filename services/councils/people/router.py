from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from services.councils.common.access import RegistryWriter
from services.councils.people import service
from services.councils.people.schemas import PersonCreate, PersonOut, PersonUpdate
from shared.auth import OptionalIdentity
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page
from shared.preconditions import RecordVersion, versioned_read, versioned_write

router = APIRouter(prefix="/councils", tags=["people"], route_class=JsonBodyRoute)

PersonId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/persons", status_code=201, summary="Register a person")
async def create_person(session: SessionDep, data: PersonCreate, actor: RegistryWriter) -> PersonOut:
    """A person who sits on bodies or represents organisations; district officers for their district."""
    return await service.create_person(session, data=data, actor=actor)


@router.get("/persons", summary="Search people")
async def list_persons(
    session: SessionDep,
    viewer: OptionalIdentity,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
    district: Annotated[
        str | None, Query(pattern=r"^\d{5}$", description="Registered by this district.")
    ] = None,
    q: Annotated[str | None, Query(max_length=100, description="Name contains.")] = None,
    name: Annotated[str | None, Query(max_length=200, description="Korean name equals.")] = None,
) -> Page[PersonOut]:
    """People in registration order; contacts only for officials."""
    return await service.list_persons(
        session, viewer=viewer, cursor=cursor, limit=limit, district=district, q=q, name=name
    )


@router.get(
    "/persons/{person_id}",
    summary="Get a person",
    dependencies=[Depends(versioned_read("councils.persons", "person_id"))],
)
async def get_person(session: SessionDep, viewer: OptionalIdentity, person_id: PersonId) -> PersonOut:
    """One person; contacts only for officials."""
    return await service.read_person(session, person_id, viewer)


@router.patch("/persons/{person_id}", summary="Change a person")
async def update_person(
    session: SessionDep,
    person_id: PersonId,
    data: PersonUpdate,
    actor: RegistryWriter,
    record: Annotated[RecordVersion, Depends(versioned_write("councils.persons", "person_id"))],
    response: Response,
) -> PersonOut:
    """Change the given fields of a person."""
    out = await service.update_person(session, person_id=person_id, data=data, actor=actor)
    await record.tag(response)
    return out
