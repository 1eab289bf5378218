from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.evaluation.aggregation.bands import Category
from services.evaluation.aggregation.engine import Method
from services.evaluation.common import ExactDecimal, SeoulDatetime

Status = Literal["draft", "notified", "appealed", "re_reviewed", "confirmed", "published"]
MinTotal = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False)]


class BandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_total: MinTotal = Field(description="The band's lowest total, included.", examples=["90"])
    category: Category


class ResultSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aggregation_method: Method = Method.trimmed_mean
    min_panel_size: int = Field(
        default=3, ge=1, le=50, description="Fewest counted (non-N/A) scores per indicator; trimmed_mean ≥ 3."
    )
    bands: list[BandIn] = Field(
        min_length=1,
        max_length=10,
        description="Grade bands: distinct minimums, one of them 0.",
        examples=[
            [
                {"min_total": "90", "category": "continue_with_increase"},
                {"min_total": "70", "category": "continue"},
                {"min_total": "60", "category": "reduce"},
                {"min_total": "0", "category": "stop"},
            ]
        ],
    )


class BandOut(BaseModel):
    min_total: ExactDecimal
    category: Category
    category_ko: str


class ResultSettingsOut(BaseModel):
    cycle_id: int
    aggregation_method: Method
    min_panel_size: int
    bands: list[BandOut]
    updated_at: SeoulDatetime | None = Field(description="None while the cycle uses the defaults.")
    updated_by: str | None


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(
        min_length=1, max_length=5000, examples=["정량지표 실적 집계에서 3분기 공론장 2회가 빠졌습니다."]
    )


class AppealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    cycle_id: int
    target_id: int
    result_id: int
    reason: str
    created_at: SeoulDatetime
    created_by: str
    re_review_opened_at: SeoulDatetime | None
    re_review_opened_by: str | None


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: Category | None = Field(
        default=None, description="A manual category instead of the grade bands' (needs a reason)."
    )
    reason: str | None = Field(default=None, max_length=5000, description="Why the category is set by hand.")


class ResultOut(BaseModel):
    id: int
    target_id: int
    cycle_id: int
    review_version: int = Field(description="1 = the first review; 2 = the re-review after an appeal.")
    status: Status
    total: str = Field(description="The exact weighted total: a decimal, or a fraction when it does not end.")
    total_display: str = Field(description="The total rounded half up to 2 decimals, for display only.")
    category: Category | None
    category_ko: str | None
    category_source: Literal["bands", "manual"] | None
    category_reason: str | None
    arithmetic: dict[str, Any] = Field(
        description="Per indicator: every score by rater (panel member id), the dropped and N/A ones, n, the"
        " mean (or median) and the points; then the weighted total."
    )
    computed_at: SeoulDatetime
    computed_by: str
    notified_at: SeoulDatetime | None
    notified_by: str | None
    confirmed_at: SeoulDatetime | None
    confirmed_by: str | None
    published_at: SeoulDatetime | None
    published_by: str | None
    appeal: AppealOut | None
