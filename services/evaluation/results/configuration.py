"""A cycle's aggregation settings and grade bands: data of the cycle, frozen once a result is confirmed."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.aggregation.bands import CATEGORY_KO, Band, Category, check_bands
from services.evaluation.aggregation.engine import Method
from services.evaluation.common import record_actor
from services.evaluation.cycles import service as cycles
from services.evaluation.results import repository
from services.evaluation.results.errors import InvalidSettings, SettingsFrozen
from services.evaluation.results.schemas import BandOut, ResultSettingsIn, ResultSettingsOut
from shared.auth import Identity

DEFAULT_METHOD = Method.trimmed_mean
DEFAULT_MIN_PANEL_SIZE = 3


@dataclass(frozen=True)
class Settings:
    aggregation_method: Method
    min_panel_size: int


async def settings_of(session: AsyncSession, cycle_id: int) -> Settings:
    """The cycle's settings, or the Korean default (trimmed mean, at least 3 scores) when none were set."""
    stored = await repository.get_settings(session, cycle_id)
    if stored is None:
        return Settings(DEFAULT_METHOD, DEFAULT_MIN_PANEL_SIZE)
    return Settings(Method(stored.aggregation_method), stored.min_panel_size)


async def read_settings(session: AsyncSession, cycle_id: int) -> ResultSettingsOut:
    await cycles.get_cycle(session, cycle_id)
    stored = await repository.get_settings(session, cycle_id)
    settings = await settings_of(session, cycle_id)
    bands = await repository.get_bands(session, cycle_id)
    return ResultSettingsOut(
        cycle_id=cycle_id,
        aggregation_method=settings.aggregation_method,
        min_panel_size=settings.min_panel_size,
        bands=[
            BandOut(
                min_total=b.min_total,
                category=Category(b.category),
                category_ko=CATEGORY_KO[Category(b.category)],
            )
            for b in bands
        ],
        updated_at=stored.updated_at if stored else None,
        updated_by=stored.updated_by if stored else None,
    )


async def put_settings(
    session: AsyncSession, *, cycle_id: int, data: ResultSettingsIn, actor: Identity
) -> ResultSettingsOut:
    """Set the method, the minimum and the grade bands at once (city officers) until a result is confirmed."""
    await cycles.lock_cycle(session, cycle_id)
    if data.aggregation_method is Method.trimmed_mean and data.min_panel_size < 3:
        raise InvalidSettings(
            "a trimmed mean drops two scores: its minimum panel size is at least 3,"
            f" not {data.min_panel_size}",
            detail_ko=(
                "절사평균은 점수 두 개를 빼므로 최소 평가위원 수는 3 이상이어야 합니다"
                f"({data.min_panel_size})"
            ),
            field="body.min_panel_size",
        )
    try:
        check_bands([Band(b.min_total, b.category) for b in data.bands])
    except ValueError as invalid:
        raise InvalidSettings(
            f"grade bands: {invalid}",
            detail_ko="등급 구간은 최솟값이 서로 달라야 하고, 그중 하나는 0에서 시작해야 합니다",
            field="body.bands",
        ) from invalid
    confirmed = await repository.confirmed_in_cycle(session, cycle_id)
    if confirmed is not None:
        raise SettingsFrozen(
            f"result {confirmed} of cycle {cycle_id} is confirmed: the cycle's settings can no longer change",
            detail_ko=f"평가 {cycle_id}의 결과 {confirmed}이(가) 확정되어 집계 설정을 바꿀 수 없습니다",
            field="path.cycle_id",
        )
    await record_actor(session, actor)
    await repository.put_settings(
        session,
        cycle_id=cycle_id,
        method=data.aggregation_method.value,
        min_panel_size=data.min_panel_size,
        actor=actor.subject,
    )
    await repository.replace_bands(
        session, cycle_id=cycle_id, bands=[(b.min_total, b.category.value) for b in data.bands]
    )
    return await read_settings(session, cycle_id)
