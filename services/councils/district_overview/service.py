"""A district's councils records in one read for the gateway's overview: the same service functions as the
separate endpoints, in one unit of work; a bounded number of statements whatever the number of records."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.district_overview.schemas import CouncilsDistrictOverview
from services.councils.district_status.service import status_on
from services.councils.districts.service import get_district
from services.councils.memberships.district_composition import district_composition
from services.councils.organizations.service import list_bodies
from services.councils.platforms.service import list_platforms
from shared.problems import ProblemError

LIMIT = 200


async def district_overview(session: AsyncSession, *, code: str) -> CouncilsDistrictOverview:
    district = await get_district(session, code)
    try:
        status = await status_on(session, code=code, on=None)
    except ProblemError as exc:
        if exc.status != 404:
            raise
        status = None  # no record yet
    bodies = await list_bodies(
        session, cursor=None, limit=LIMIT, district=code, kind=None, parent_id=None, q=None, active_on=None
    )
    return CouncilsDistrictOverview(
        district=district,
        governance_status=status,
        bodies=bodies.items,
        composition=await district_composition(session, code=code, on=None),
        platforms=(await list_platforms(session, district=code, cursor=None, limit=LIMIT)).items,
    )
