from typing import Literal

from pydantic import BaseModel, Field

from services.evaluation.common import SeoulDatetime

RaterType = Literal["self", "official", "expert"]
Scope = Literal["common", "specific"]
DISPLAY = (
    "points are computed exactly (fractions) and shown as decimal strings rounded half-even to 4 places;"
    " differences are first minus second"
)

PointsText = str | None


class TypeScore(BaseModel):
    points: PointsText = Field(description="Mean points of this rater type; null when it gave none.")
    n: int = Field(description="How many scores the mean is of (N/A left out).")


class Differences(BaseModel):
    self_minus_official: PointsText
    self_minus_expert: PointsText
    official_minus_expert: PointsText


class Total(BaseModel):
    points: PointsText = Field(description="Σ of the mean points of the indicators this type scored.")
    counted_weight: int = Field(description="The weights of those indicators (100 when it scored all).")


class ScoreOut(BaseModel):
    panel_member_id: int
    rater_name_ko: str
    rater_type: Literal["official", "expert"]
    points_given: PointsText = Field(description="Points as given (quantitative indicators).")
    level: int | None = Field(description="The rubric level's position (qualitative indicators).")
    level_label_ko: str | None
    not_applicable: bool
    points: PointsText = Field(description="Points out of the weight; null for an N/A level.")
    submitted_at: SeoulDatetime | None


class IndicatorComparisonOut(BaseModel):
    indicator_id: int
    name_ko: str
    scope: Scope
    measure: str
    weight: int
    by_rater_type: dict[RaterType, TypeScore]
    differences: Differences
    self_points_note: str | None = Field(
        default=None, description="Why the self-evaluation gives no points, when it does not."
    )
    scores: list[ScoreOut] | None = Field(default=None, description="Each counted score (scorecard only).")


class TargetComparisonOut(BaseModel):
    target_id: int
    cycle_id: int
    organization_id: int
    district_code: str
    round: int
    review_version: int
    indicators: list[IndicatorComparisonOut]
    totals: dict[RaterType, Total]
    differences: Differences = Field(
        description="Per pair, Σ over the indicators both types scored of (first − second)."
    )
    display: str = DISPLAY


class CycleTargetRow(BaseModel):
    target_id: int
    organization_id: int
    district_code: str
    round: int
    review_version: int
    totals: dict[RaterType, Total]
    differences: Differences


class CycleIndicatorRow(BaseModel):
    indicator_id: int
    name_ko: str
    scope: Scope
    weight: int
    by_rater_type: dict[RaterType, TypeScore] = Field(
        description="Per rater type, the mean over targets of the targets' means (n = targets)."
    )


class IccOut(BaseModel):
    type: str = Field(description="McGraw & Wong's form, as pingouin names it: ICC(1,1), ICC(A,1), …")
    shrout_fleiss: str = Field(description="The same in Shrout & Fleiss (1979): ICC(1,1), ICC(2,1), …")
    value: float
    ci95: list[float] | None


class RoundReliability(BaseModel):
    round: int
    raters: int
    units: int = Field(description="(target, indicator) units rated by at least two raters.")
    alpha_interval: float | None = Field(
        description="Krippendorff's alpha, interval level; null if undefined."
    )
    icc_units: int = Field(description="Units every rater of the round rated: the ICCs' complete data.")
    icc: list[IccOut]
    note: str = (
        "for information only: ratings are points as a share of the indicator's weight; alpha from the"
        " krippendorff package, ICCs from pingouin.intraclass_corr"
    )


class CycleComparisonOut(BaseModel):
    cycle_id: int
    round: int | None
    targets: list[CycleTargetRow]
    totals: dict[RaterType, TypeScore] = Field(description="Mean of the targets' totals (n = targets).")
    differences: dict[str, TypeScore] = Field(
        description="Mean of the targets' like-for-like differences (n = targets with both types)."
    )
    indicators: list[CycleIndicatorRow]
    self_lowest: bool | None = Field(
        description="Seed 001's finding: self scores below official and expert ones on average."
    )
    reliability: list[RoundReliability]
    display: str = DISPLAY
