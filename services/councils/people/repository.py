"""Reads and writes of people."""

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.people.models import Person


async def get_person(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def add_person(session: AsyncSession, person: Person) -> None:
    session.add(person)
    await session.flush()
    await session.refresh(person)


async def save_person(session: AsyncSession, person: Person) -> None:
    """Write the person's changed fields and read back what the database set (`updated_at`)."""
    await session.flush()
    await session.refresh(person)


async def list_persons(
    session: AsyncSession,
    *,
    after_id: int | None,
    limit: int,
    district: str | None,
    name: str | None,
    q: str | None,
) -> Sequence[Person]:
    """Up to `limit` people after `after_id`, by id; `q` matches either name, case-insensitively."""
    query = select(Person).order_by(Person.id).limit(limit)
    if after_id is not None:
        query = query.where(Person.id > after_id)
    if district is not None:
        query = query.where(Person.district_code == district)
    if name is not None:
        query = query.where(Person.name_ko == name)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Person.name_ko.ilike(pattern), Person.name_en.ilike(pattern)))
    return (await session.scalars(query)).all()
