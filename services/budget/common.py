"""Types and helpers shared by the budget service's domain packages."""

from typing import Annotated, Literal

from fastapi import Depends
from pydantic import AfterValidator, Field
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import set_actor
from shared.auth import Identity, Role, require_roles
from shared.dates import SeoulDatetime as SeoulDatetime  # re-exported: the packages import it from here
from shared.seoul import known_district
from shared.service_auth import ServiceIdentity

Track = Literal["governance", "general"]
KRW = Annotated[int, Field(gt=0, le=10**15, description="Whole Korean won.")]
WholeKRW = Annotated[int, Field(strict=True, ge=0, le=10**15, description="Whole KRW, a JSON integer.")]
"""An amount of the money-following endpoints: 0 allowed, and never a float or a string, even `1.0`."""


# The callers of write routes, by role; which records a district officer may touch, the services decide.
CityOfficer = Annotated[Identity, Depends(require_roles(Role.city_officer))]
Officer = Annotated[Identity, Depends(require_roles(Role.district_officer, Role.city_officer))]

DistrictCode = Annotated[str, Field(pattern=r"^\d{5}$", examples=["11110"]), AfterValidator(known_district)]


async def record_actor(
    session: AsyncSession, actor: Identity | ServiceIdentity, reason: str | None = None
) -> None:
    """Tell the database's audit triggers who acts, and why, for the rest of this transaction.

    A service calling an internal endpoint acts as itself (`service:evaluation`, role `service`)."""
    await set_actor(session, "budget", actor, reason)
