from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.evaluation.common import ExactDecimal, SeoulDatetime

Points = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=20, decimal_places=6, allow_inf_nan=False, examples=["17.5"]),
]


class ScoreIn(BaseModel):
    """`points` (0 to the indicator's weight) for a quantitative indicator, or `level` (its position on the
    indicator's rubric, 1 = best; the rubric's N/A level included) for a qualitative one."""

    model_config = ConfigDict(extra="forbid")

    points: Points | None = None
    level: int | None = Field(
        default=None, ge=1, le=20, description="Position of the rubric level, 1 = best."
    )


class ScoreOut(BaseModel):
    id: int
    target_id: int
    indicator_id: int
    panel_member_id: int
    rater_type: Literal["official", "expert"]
    version: int
    points: ExactDecimal | None
    level: int | None
    level_label_ko: str | None
    level_value: ExactDecimal | None
    not_applicable: bool
    status: Literal["draft", "submitted"]
    updated_at: SeoulDatetime
    submitted_at: SeoulDatetime | None


class SheetOut(BaseModel):
    """One rater's scores of one target in one review version."""

    target_id: int
    panel_member_id: int
    version: int
    status: Literal["draft", "submitted"]
    submitted_at: SeoulDatetime | None
    scores: list[ScoreOut]
