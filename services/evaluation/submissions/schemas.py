from pydantic import BaseModel, ConfigDict, Field

from services.evaluation.common import ExactDecimal, SeoulDatetime
from services.evaluation.indicators.schemas import Amount


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300, examples=["2017 은평구 시민협력플랫폼 최종실적보고서"])
    reference: str = Field(
        min_length=1,
        max_length=10_000,
        description="The report's text, or a URL where it is kept.",
        examples=["https://example.org/reports/2017-eunpyeong.pdf"],
    )


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    target_id: int
    title: str
    reference: str
    submitted_at: SeoulDatetime
    submitted_by: str


class SelfScoreIn(BaseModel):
    """A value for a quantitative indicator, or a level (its position on the rubric, 1 = best) for a
    qualitative one; the rubric's N/A level is a level like the others."""

    model_config = ConfigDict(extra="forbid")

    value: Amount | None = None
    level: int | None = Field(
        default=None, ge=1, le=20, description="Position of the rubric level, 1 = best."
    )


class SelfScoreOut(BaseModel):
    id: int
    target_id: int
    indicator_id: int
    value: ExactDecimal | None
    level: int | None
    level_label_ko: str | None
    level_value: ExactDecimal | None
    not_applicable: bool
    recorded_at: SeoulDatetime
    recorded_by: str
