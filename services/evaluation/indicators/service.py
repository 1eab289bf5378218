"""Indicators: common (공통) per cycle, specific (개별) per target, and the city's measured actual values."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.common import ensure_own_target, record_actor
from services.evaluation.cycles import service as cycles
from services.evaluation.indicators import repository
from services.evaluation.indicators.errors import IndicatorNotFound, InvalidIndicator
from services.evaluation.indicators.models import Indicator
from services.evaluation.indicators.schemas import (
    IATI_MEASURE_CODE,
    ActualIn,
    IndicatorCreate,
    IndicatorOut,
    IndicatorUpdate,
    MeasurementOut,
)
from services.evaluation.rubrics import service as rubrics
from services.evaluation.targets import repository as targets_repo
from services.evaluation.targets import service as targets
from services.evaluation.targets.errors import TargetOpen
from services.evaluation.targets.models import Target
from services.evaluation.windows import service as windows
from services.evaluation.windows.phases import Phase
from shared.auth import Identity
from shared.pagination import ID, Page, decode_cursor, page_of
from shared.problems import FieldError

QUANTITATIVE_ONLY = ("ascending", "baseline", "target")


def out(indicator: Indicator) -> IndicatorOut:
    common = indicator.target_id is None
    return IndicatorOut(
        id=indicator.id,
        cycle_id=indicator.cycle_id,
        target_id=indicator.target_id,
        scope="common" if common else "specific",
        scope_ko="공통" if common else "개별",
        name_ko=indicator.name_ko,
        name_en=indicator.name_en,
        measure=indicator.measure,
        iati_measure_code=IATI_MEASURE_CODE[indicator.measure],
        ascending=indicator.ascending,
        weight=indicator.weight,
        baseline=indicator.baseline,
        target=indicator.target_value,
        rubric_id=indicator.rubric_id,
        created_at=indicator.created_at,
    )


async def _check_measure(session: AsyncSession, cycle_id: int, data: IndicatorCreate) -> None:
    """A qualitative indicator has a rubric of its cycle and no numbers; a quantitative one has no rubric."""
    errors: list[FieldError] = []
    if data.measure == "qualitative":
        if data.rubric_id is None:
            errors.append(
                FieldError(
                    field="body.rubric_id",
                    message="a qualitative indicator needs a rubric",
                    message_ko="정성 지표에는 평가 척도가 필요합니다.",
                )
            )
        for name in QUANTITATIVE_ONLY:
            if getattr(data, name) is not None:
                errors.append(
                    FieldError(
                        field=f"body.{name}",
                        message=f"{name} is for quantitative measures only",
                        message_ko=f"{name}은(는) 정량 지표에만 쓸 수 있습니다.",
                    )
                )
    elif data.rubric_id is not None:
        errors.append(
            FieldError(
                field="body.rubric_id",
                message=f"a {data.measure} indicator is not scored on a rubric",
                message_ko=f"{data.measure} 지표는 평가 척도로 평가하지 않습니다.",
            )
        )
    if errors:
        raise InvalidIndicator(errors[0].message, detail_ko=errors[0].message_ko, errors=errors)
    if data.rubric_id is not None:
        scale = await rubrics.get_scale(session, data.rubric_id, field="body.rubric_id")
        if scale.cycle_id != cycle_id:
            raise InvalidIndicator(
                f"rubric {scale.id} belongs to cycle {scale.cycle_id}, not {cycle_id}",
                detail_ko=(
                    f"평가 척도 {scale.id}은(는) 주기 {cycle_id}이(가) 아닌 주기 {scale.cycle_id}에 속합니다."
                ),
                field="body.rubric_id",
            )


async def _create(
    session: AsyncSession, *, cycle_id: int, target: Target | None, data: IndicatorCreate, actor: Identity
) -> IndicatorOut:
    await _check_measure(session, cycle_id, data)
    await cycles.lock_cycle(session, cycle_id)
    await _ensure_unfrozen(session, cycle_id=cycle_id, target_id=target.id if target else None)
    await record_actor(session, actor)
    quantitative = data.measure != "qualitative"
    indicator = Indicator(
        cycle_id=cycle_id,
        target_id=target.id if target else None,
        name_ko=data.name_ko,
        name_en=data.name_en,
        measure=data.measure,
        ascending=(True if data.ascending is None else data.ascending) if quantitative else None,
        weight=data.weight,
        baseline=data.baseline,
        target_value=data.target,
        rubric_id=data.rubric_id,
        created_by=actor.subject,
    )
    await repository.add(session, indicator)
    return out(indicator)


async def _ensure_unfrozen(session: AsyncSession, *, cycle_id: int, target_id: int | None) -> None:
    """Refuse when the target (or, for a common indicator, any target of the cycle) is already open."""
    if target_id is not None:
        target = await targets.get_target(session, target_id)
        await session.refresh(target)  # read again under the cycle's lock: an opening may just have committed
        targets.ensure_configuring(target)
        return
    opened = await targets_repo.first_open_target(session, cycle_id=cycle_id)
    if opened is not None:
        raise TargetOpen(
            f"target {opened.id} of cycle {cycle_id} is open: the cycle's common indicators are frozen",
            detail_ko=(
                f"주기 {cycle_id}의 평가 대상 {opened.id}이(가) 열려 있어 공통 지표를 바꿀 수 없습니다."
            ),
        )


async def create_common(
    session: AsyncSession, *, cycle_id: int, data: IndicatorCreate, actor: Identity
) -> IndicatorOut:
    await cycles.get_cycle(session, cycle_id)
    return await _create(session, cycle_id=cycle_id, target=None, data=data, actor=actor)


async def create_specific(
    session: AsyncSession, *, target_id: int, data: IndicatorCreate, actor: Identity
) -> IndicatorOut:
    target = await targets.get_target(session, target_id)
    return await _create(session, cycle_id=target.cycle_id, target=target, data=data, actor=actor)


async def get_indicator(
    session: AsyncSession, indicator_id: int, *, field: str = "path.indicator_id"
) -> Indicator:
    indicator = await repository.get_indicator(session, indicator_id)
    if indicator is None:
        raise IndicatorNotFound(indicator_id, field=field)
    return indicator


async def update_indicator(
    session: AsyncSession, indicator_id: int, *, data: IndicatorUpdate, actor: Identity
) -> IndicatorOut:
    indicator = await get_indicator(session, indicator_id)
    changes = data.model_dump(exclude_unset=True)
    if indicator.measure == "qualitative":
        wrong = [name for name in QUANTITATIVE_ONLY if changes.get(name) is not None]
        if wrong:
            raise InvalidIndicator(
                f"{', '.join(wrong)}: for quantitative measures only",
                detail_ko=f"{', '.join(wrong)}: 정량 지표에만 쓸 수 있습니다.",
                errors=[
                    FieldError(
                        field=f"body.{n}",
                        message="for quantitative measures only",
                        message_ko="정량 지표에만 쓸 수 있습니다.",
                    )
                    for n in wrong
                ],
            )
    required = (
        ("name_ko", "weight") if indicator.measure == "qualitative" else ("name_ko", "weight", "ascending")
    )
    for name in required:
        if name in changes and changes[name] is None:
            raise InvalidIndicator(
                f"{name} cannot be removed",
                detail_ko=f"{name}은(는) 삭제할 수 없습니다.",
                field=f"body.{name}",
            )
    await cycles.lock_cycle(session, indicator.cycle_id)
    await _ensure_unfrozen(session, cycle_id=indicator.cycle_id, target_id=indicator.target_id)
    await record_actor(session, actor)
    for name, value in changes.items():
        setattr(indicator, "target_value" if name == "target" else name, value)
    await session.flush()
    await session.refresh(indicator)
    return out(indicator)


async def delete_indicator(session: AsyncSession, indicator_id: int, *, actor: Identity) -> None:
    indicator = await get_indicator(session, indicator_id)
    await cycles.lock_cycle(session, indicator.cycle_id)
    await _ensure_unfrozen(session, cycle_id=indicator.cycle_id, target_id=indicator.target_id)
    await record_actor(session, actor)
    await repository.delete_indicator(session, indicator)


async def list_for_cycle(
    session: AsyncSession, *, cycle_id: int, scope: str | None, cursor: str | None, limit: int
) -> Page[IndicatorOut]:
    key = decode_cursor(cursor, (ID,))  # a foreign cursor is a 400 whether or not the cycle exists
    await cycles.get_cycle(session, cycle_id)
    return await _page(session, cycle_id=cycle_id, scope=scope, target_id=None, key=key, limit=limit)


async def list_for_target(
    session: AsyncSession, *, target_id: int, reader: Identity, cursor: str | None, limit: int
) -> Page[IndicatorOut]:
    key = decode_cursor(cursor, (ID,))
    target = await targets.get_target(session, target_id)
    ensure_own_target(reader, target_id=target.id, organization_id=target.organization_id)
    return await _page(
        session, cycle_id=target.cycle_id, scope=None, target_id=target.id, key=key, limit=limit
    )


async def _page(
    session: AsyncSession,
    *,
    cycle_id: int,
    scope: str | None,
    target_id: int | None,
    key: list[Any] | None,
    limit: int,
) -> Page[IndicatorOut]:
    rows = await repository.list_indicators(
        session,
        cycle_id=cycle_id,
        scope=scope,
        target_id=target_id,
        with_common=True,
        after_id=int(key[0]) if key else None,
        limit=limit + 1,
    )
    return page_of([out(row) for row in rows], limit, lambda item: [item.id])


async def record_actual(
    session: AsyncSession, *, target_id: int, indicator_id: int, data: ActualIn, actor: Identity
) -> MeasurementOut:
    """The city's measured value, accepted only in the round's quantitative-measurement window."""
    target = await targets.get_target(session, target_id)
    indicator = await get_indicator(session, indicator_id)
    if indicator.cycle_id != target.cycle_id or indicator.target_id not in (None, target.id):
        raise InvalidIndicator(
            f"indicator {indicator.id} is not one of target {target.id}'s indicators",
            detail_ko=f"지표 {indicator.id}은(는) 평가 대상 {target.id}의 지표가 아닙니다.",
            field="path.indicator_id",
        )
    if indicator.measure == "qualitative":
        raise InvalidIndicator(
            f"indicator {indicator.id} is qualitative: it is scored on its rubric, not measured",
            detail_ko=f"지표 {indicator.id}은(는) 정성 지표이므로 측정값이 아니라 평가 척도로 평가합니다.",
            field="path.indicator_id",
        )
    if target.opened_at is None:
        raise InvalidIndicator(
            f"target {target.id} is not open yet",
            detail_ko=f"평가 대상 {target.id}이(가) 아직 열리지 않았습니다.",
            field="path.target_id",
        )
    await windows.require_window(
        session, cycle_id=target.cycle_id, round=target.round, phase=Phase.quantitative_measurement
    )
    await record_actor(session, actor)
    measurement = await repository.upsert_measurement(
        session, target_id=target.id, indicator_id=indicator.id, actual=data.actual, recorded_by=actor.subject
    )
    return MeasurementOut.model_validate(measurement)


async def list_measurements(session: AsyncSession, target_id: int) -> list[MeasurementOut]:
    await targets.get_target(session, target_id)
    return [MeasurementOut.model_validate(m) for m in await repository.list_measurements(session, target_id)]
