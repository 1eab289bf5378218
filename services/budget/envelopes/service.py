from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.cycles import service as cycles
from services.budget.envelopes import repository
from services.budget.envelopes.errors import EnvelopeExists, EnvelopeNotFound, UnknownFundingType
from services.budget.envelopes.models import Envelope
from services.budget.envelopes.schemas import EnvelopeCreate, EnvelopeOut, FundingTypeOut
from services.budget.funding import service as funding
from services.budget.funding.errors import FundingTypeMismatch
from shared.auth import Identity


async def list_funding_types(session: AsyncSession) -> list[FundingTypeOut]:
    return [FundingTypeOut.model_validate(row) for row in await repository.list_funding_types(session)]


async def list_envelopes(session: AsyncSession, cycle_id: int) -> list[EnvelopeOut]:
    await cycles.get_cycle(session, cycle_id)
    return [EnvelopeOut.model_validate(row) for row in await repository.list_envelopes(session, cycle_id)]


async def get_envelope(
    session: AsyncSession, envelope_id: int, *, lock: bool = False, field: str = "path.envelope_id"
) -> Envelope:
    """The envelope; ``field`` names where the caller got its id, for the 404."""
    envelope = await repository.get_envelope(session, envelope_id, lock=lock)
    if envelope is None:
        raise EnvelopeNotFound(envelope_id, field=field)
    return envelope


async def create_envelope(
    session: AsyncSession, *, cycle_id: int, data: EnvelopeCreate, actor: Identity
) -> EnvelopeOut:
    cycle = await cycles.get_cycle(session, cycle_id)
    if (
        data.funding_type is not None
        and await repository.get_funding_type(session, data.funding_type) is None
    ):
        raise UnknownFundingType(data.funding_type)
    existing = await repository.find_envelope(
        session, cycle_id=cycle_id, district_code=data.district_code, track=data.track
    )
    if existing is not None:
        where = f"district {data.district_code}" if data.district_code else "the city"
        raise EnvelopeExists(
            f"cycle {cycle_id} already has envelope {existing.id} for {where}, track {data.track}",
            detail_ko=(
                f"주기 {cycle_id}에는 이미"
                f" {'자치구 ' + data.district_code if data.district_code else '서울시'}"
                f" 트랙 {data.track}의 예산 한도 {existing.id}이(가) 있습니다."
            ),
        )
    if data.district_code is not None:
        # Within the district's funding type of the cycle's year, when it has one (the trigger
        # envelope_cap_guard checks again under the same lock).
        assigned = await funding.ensure_room(
            session,
            district=data.district_code,
            year=cycle.fiscal_year,
            amount_krw=data.amount_krw,
            field="body.amount_krw",
            required=False,
        )
        if assigned is not None and data.funding_type not in (None, assigned["funding_type"]):
            raise FundingTypeMismatch(
                f"district {data.district_code} is {assigned['funding_type']} in {cycle.fiscal_year},"
                f" not {data.funding_type}",
                detail_ko=f"{data.district_code} 자치구의 {cycle.fiscal_year}년 지원 유형은"
                f" {assigned['funding_type']}입니다",
                field="body.funding_type",
            )
    envelope = Envelope(**data.model_dump(), cycle_id=cycle_id, created_by=actor.subject)
    return EnvelopeOut.model_validate(await repository.add_envelope(session, envelope))
