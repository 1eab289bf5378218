"""The exports' own reads: the districts and people a Popolo document names."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.districts.models import District
from services.councils.people.models import Person


async def districts_by_code(session: AsyncSession, codes: Sequence[str]) -> Sequence[District]:
    return (
        await session.scalars(select(District).where(District.code.in_(codes)).order_by(District.code))
    ).all()


async def people_by_id(session: AsyncSession, person_ids: Sequence[int]) -> Sequence[Person]:
    return (await session.scalars(select(Person).where(Person.id.in_(person_ids)).order_by(Person.id))).all()
