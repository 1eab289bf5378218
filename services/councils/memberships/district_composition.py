"""The composition of every governance body of a district on a date, for the gateway's district overview.

Three queries whatever the number of bodies and seats (the district, its bodies, their seats); each body's
seats are counted by the same rule as `GET /councils/bodies/{id}/composition` (`count_seats`).
"""

from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.districts.service import get_district
from services.councils.memberships import repository
from services.councils.memberships.models import Membership
from services.councils.memberships.schemas import Composition
from services.councils.memberships.service import SEAT_ROLE_VALUES, count_seats
from services.councils.organizations.service import BODY_KINDS
from shared.seoul import today_seoul


async def district_composition(session: AsyncSession, *, code: str, on: date | None) -> list[Composition]:
    await get_district(session, code)
    day = on or today_seoul()
    bodies = await repository.district_bodies(session, code, sorted(BODY_KINDS))
    seats: dict[int, list[Membership]] = defaultdict(list)
    if bodies:
        rows = await repository.seats_of_bodies(session, [b.id for b in bodies], day, SEAT_ROLE_VALUES)
        for seat in rows:
            seats[seat.organization_id].append(seat)
    out = []
    for body in bodies:
        counted = count_seats(seats[body.id])
        out.append(
            Composition(
                body_id=body.id,
                body_name_ko=body.name_ko,
                district_code=body.district_code,
                on=day,
                total=counted.total,
                civil=counted.by_sector["civil"],
                councillor=counted.by_sector["councillor"],
                official=counted.by_sector["official"],
                expert=counted.by_sector["expert"],
                unnamed=counted.unnamed,
                by_role=counted.by_role,
            )
        )
    return out
