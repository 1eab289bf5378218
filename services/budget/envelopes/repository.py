from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.envelopes.models import Envelope, FundingType


async def list_funding_types(session: AsyncSession) -> Sequence[FundingType]:
    return (await session.scalars(select(FundingType).order_by(FundingType.code))).all()


async def get_funding_type(session: AsyncSession, code: str) -> FundingType | None:
    return await session.get(FundingType, code)


async def list_envelopes(session: AsyncSession, cycle_id: int) -> Sequence[Envelope]:
    query = select(Envelope).where(Envelope.cycle_id == cycle_id)
    return (await session.scalars(query.order_by(Envelope.district_code.nulls_first(), Envelope.track))).all()


async def get_envelope(session: AsyncSession, envelope_id: int, *, lock: bool = False) -> Envelope | None:
    query = select(Envelope).where(Envelope.id == envelope_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def find_envelope(
    session: AsyncSession, *, cycle_id: int, district_code: str | None, track: str
) -> Envelope | None:
    query = select(Envelope).where(
        Envelope.cycle_id == cycle_id,
        Envelope.district_code.is_not_distinct_from(district_code),
        Envelope.track == track,
    )
    return (await session.scalars(query)).one_or_none()


async def add_envelope(session: AsyncSession, envelope: Envelope) -> Envelope:
    session.add(envelope)
    await session.flush()
    await session.refresh(envelope)
    return envelope
