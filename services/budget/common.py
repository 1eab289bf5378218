"""Types and helpers shared by the budget service's domain packages."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, PlainSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import set_actor
from shared.auth import Identity
from shared.language import ValueErrorKo
from shared.seoul import DISTRICT_CODES as SEOUL_DISTRICT_CODES
from shared.seoul import SEOUL
from shared.service_auth import ServiceIdentity

Track = Literal["governance", "general"]
KRW = Annotated[int, Field(gt=0, le=10**15, description="Whole Korean won.")]
WholeKRW = Annotated[int, Field(strict=True, ge=0, le=10**15, description="Whole KRW, a JSON integer.")]
"""An amount of the money-following endpoints: 0 allowed, and never a float or a string, even `1.0`."""


def _seoul_district(code: str) -> str:
    if code not in SEOUL_DISTRICT_CODES:
        raise ValueErrorKo(
            f"{code} is not one of Seoul's 25 district codes",
            f"{code}은(는) 서울시 25개 자치구 코드가 아닙니다.",
        )
    return code


DistrictCode = Annotated[str, Field(pattern=r"^\d{5}$", examples=["11110"]), AfterValidator(_seoul_district)]

# Timestamps leave the API in Asia/Seoul (DOMAIN.md §4), whatever zone the driver hands back.
SeoulDatetime = Annotated[
    datetime, PlainSerializer(lambda value: value.astimezone(SEOUL).isoformat(), return_type=str)
]


async def record_actor(
    session: AsyncSession, actor: Identity | ServiceIdentity, reason: str | None = None
) -> None:
    """Tell the database's audit triggers who acts, and why, for the rest of this transaction.

    A service calling an internal endpoint acts as itself (`service:evaluation`, role `service`)."""
    await set_actor(session, "budget", actor, reason)
