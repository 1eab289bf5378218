"""A cycle's aggregation in one read: every target's points as its result would compute them, not stored."""

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.aggregation.rounding import display, exact
from services.evaluation.comparison.cache import VersionedCache
from services.evaluation.comparison.repository import data_version
from services.evaluation.cycle_aggregation import repository
from services.evaluation.cycle_aggregation.compute import Status, TargetAggregate, aggregate_cycle
from services.evaluation.cycle_aggregation.schemas import (
    CycleAggregationOut,
    IndicatorPointsOut,
    ShortPanelOut,
    TargetAggregationOut,
)
from services.evaluation.cycles import service as cycles
from services.evaluation.results.configuration import settings_of

STATUS_KO = {
    Status.computed: "산정됨",
    Status.not_open: "평가 대상이 아직 열리지 않았습니다",
    Status.panel_too_small: "유효 점수가 최소 평가위원 수에 못 미치는 지표가 있습니다",
    Status.rubric_not_scorable: "평가척도의 값으로 점수를 낼 수 없는 지표가 있습니다",
}

# Kept by the cycle's data version (comparison/cache.py): unchanged data gives the same answer.
ANSWERS: VersionedCache[CycleAggregationOut] = VersionedCache(size=32)


def _out(made: TargetAggregate) -> TargetAggregationOut:
    return TargetAggregationOut(
        target_id=made.target_id,
        organization_id=made.organization_id,
        district_code=made.district_code,
        round=made.round,
        review_version=made.review_version,
        status=made.status,
        status_ko=STATUS_KO[made.status],
        total=None if made.total is None else exact(made.total),
        total_display=None if made.total is None else display(made.total),
        short_panel=ShortPanelOut(indicator_id=made.short[0], n=made.short[1], minimum=made.short[2])
        if made.short
        else None,
        indicators=[
            IndicatorPointsOut(
                indicator_id=item.indicator_id,
                n=item.n,
                points=exact(item.points),
                points_display=display(item.points),
            )
            for item in made.indicators
        ],
    )


async def cycle_aggregation(
    session: AsyncSession, *, cycle_id: int, round: int | None
) -> CycleAggregationOut:
    await cycles.get_cycle(session, cycle_id)
    before = await data_version(session, cycle_id)
    kept = ANSWERS.get((cycle_id, round), before)
    if kept is not None:
        return kept
    settings = await settings_of(session, cycle_id)
    rows = await repository.cycle_scores(session, cycle_id=cycle_id, round=round)
    method, minimum = settings.aggregation_method, settings.min_panel_size

    def build() -> CycleAggregationOut:
        made = aggregate_cycle(rows, method=method, min_panel_size=minimum)
        return CycleAggregationOut(
            cycle_id=cycle_id,
            round=round,
            aggregation_method=method,
            min_panel_size=minimum,
            targets=[_out(target) for target in made],
        )

    answer = await anyio.to_thread.run_sync(build)
    ANSWERS.keep((cycle_id, round), before, await data_version(session, cycle_id), answer)
    return answer
