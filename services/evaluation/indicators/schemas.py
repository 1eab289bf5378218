from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.evaluation.common import ExactDecimal, SeoulDatetime

# IATI's indicator measure vocabulary (https://iatistandard.org/en/iati-standard/203/codelists/indicatormeasure/);
# "nominal" is left out: nothing in the seeds measures by category.
Measure = Literal["unit", "percentage", "ordinal", "qualitative"]
IATI_MEASURE_CODE = {"unit": "1", "percentage": "2", "ordinal": "4", "qualitative": "5"}

Amount = Annotated[
    Decimal, Field(ge=-(10**13), le=10**13, max_digits=20, decimal_places=6, allow_inf_nan=False)
]
Points = Annotated[int, Field(ge=1, le=100, description="Integer points; a target's weights sum to 100.")]


class IndicatorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name_ko: str = Field(min_length=1, max_length=300, examples=["공론장 운영 횟수"])
    name_en: str | None = Field(default=None, max_length=300)
    measure: Measure
    ascending: bool | None = Field(
        default=None, description="Higher is better (IATI's default, true); quantitative measures only."
    )
    weight: Points
    baseline: Amount | None = Field(default=None, description="Quantitative measures only.")
    target: Amount | None = Field(default=None, description="The value aimed at; quantitative measures only.")
    rubric_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="The rubric scale; qualitative measures only (required).",
    )


class IndicatorUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name_ko: str | None = Field(default=None, min_length=1, max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    weight: Points | None = None
    ascending: bool | None = None
    baseline: Amount | None = None
    target: Amount | None = None


class IndicatorOut(BaseModel):
    id: int
    cycle_id: int
    target_id: int | None = Field(description="None for a common indicator.")
    scope: Literal["common", "specific"]
    scope_ko: Literal["공통", "개별"]
    name_ko: str
    name_en: str | None
    measure: Measure
    iati_measure_code: str
    ascending: bool | None
    weight: int
    baseline: ExactDecimal | None
    target: ExactDecimal | None
    rubric_id: int | None
    created_at: SeoulDatetime


class ActualIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actual: Amount


class MeasurementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    target_id: int
    indicator_id: int
    actual: ExactDecimal
    recorded_at: SeoulDatetime
    recorded_by: str
