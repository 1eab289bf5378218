"""People: registered by district officers (for their district) or the city; contacts are not public."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.access import ensure_can_write, is_official
from services.councils.districts.repository import district_exists
from services.councils.organizations.errors import UnknownDistrict
from services.councils.people import repository
from services.councils.people.errors import PersonNotFound
from services.councils.people.models import Person
from services.councils.people.schemas import Contact, PersonCreate, PersonOut, PersonUpdate
from shared.auth import Identity
from shared.pagination import ID, Page, decode_cursor, page_of


def person_out(person: Person, viewer: Identity | None) -> PersonOut:
    contact = Contact(email=person.email, phone=person.phone) if is_official(viewer) else None
    return PersonOut(
        id=person.id,
        name_ko=person.name_ko,
        name_en=person.name_en,
        district_code=person.district_code,
        contact=contact,
        note=person.note,
        source=person.source,
        created_at=person.created_at,
        updated_at=person.updated_at,
    )


async def get_person(session: AsyncSession, person_id: int, field: str = "path.person_id") -> Person:
    person = await repository.get_person(session, person_id)
    if person is None:
        raise PersonNotFound(person_id, field)
    return person


async def create_person(session: AsyncSession, *, data: PersonCreate, actor: Identity) -> PersonOut:
    ensure_can_write(actor, data.district_code, "a person without a district")
    if data.district_code is not None and not await district_exists(session, data.district_code):
        raise UnknownDistrict(data.district_code)
    person = Person(**data.model_dump())
    await repository.add_person(session, person)
    return person_out(person, actor)


async def update_person(
    session: AsyncSession, *, person_id: int, data: PersonUpdate, actor: Identity
) -> PersonOut:
    person = await get_person(session, person_id)
    ensure_can_write(actor, person.district_code, "a person without a district")
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is not None or name != "name_ko":
            setattr(person, name, value)
    await repository.save_person(session, person)
    return person_out(person, actor)


async def read_person(session: AsyncSession, person_id: int, viewer: Identity | None) -> PersonOut:
    return person_out(await get_person(session, person_id), viewer)


async def list_persons(
    session: AsyncSession,
    *,
    viewer: Identity | None,
    cursor: str | None,
    limit: int,
    district: str | None,
    q: str | None,
    name: str | None,
) -> Page[PersonOut]:
    key = decode_cursor(cursor, (ID,))
    rows = await repository.list_persons(
        session,
        after_id=int(key[0]) if key else None,
        limit=limit + 1,
        district=district,
        name=name,
        q=q,
    )
    return page_of([person_out(row, viewer) for row in rows], limit, lambda item: [item.id])
