from pydantic import BaseModel, Field

from services.evaluation.aggregation.engine import Method
from services.evaluation.cycle_aggregation.compute import Status


class IndicatorPointsOut(BaseModel):
    indicator_id: int
    n: int = Field(description="The scores the points are computed from (after the trimmed mean's drops).")
    points: str = Field(
        description="Exact: a decimal when it terminates, else a fraction.", examples=["253/3"]
    )
    points_display: str = Field(examples=["84.33"])


class ShortPanelOut(BaseModel):
    indicator_id: int
    n: int
    minimum: int


class TargetAggregationOut(BaseModel):
    target_id: int
    organization_id: int
    district_code: str
    round: int
    review_version: int
    status: Status = Field(
        description="computed; not_open (nothing to aggregate yet); panel_too_small (an indicator has fewer"
        " counted scores than the minimum); rubric_not_scorable."
    )
    status_ko: str
    total: str | None = Field(description="Exact weighted total, as the target's result would store it.")
    total_display: str | None
    short_panel: ShortPanelOut | None = None
    indicators: list[IndicatorPointsOut]


class CycleAggregationOut(BaseModel):
    cycle_id: int
    round: int | None
    aggregation_method: Method
    min_panel_size: int
    targets: list[TargetAggregationOut]
