from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.evaluation.common import ExactDecimal, SeoulDatetime

LevelValue = Annotated[
    Decimal, Field(ge=-(10**7), le=10**7, max_digits=12, decimal_places=4, allow_inf_nan=False)
]


class LevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label_ko: str = Field(min_length=1, max_length=100, examples=["매우 우수"])
    value: LevelValue | None = Field(default=None, examples=[5], description="None only for the N/A level.")
    not_applicable: bool = Field(default=False, description="The N/A level (해당 없음): excluded, not zero.")


class RubricCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name_ko: str = Field(min_length=1, max_length=200, examples=["5단계 평가척도"])
    levels: list[LevelIn] = Field(min_length=2, max_length=20, description="Listed from best to worst.")


class LevelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    label_ko: str
    value: ExactDecimal | None
    not_applicable: bool


class RubricOut(BaseModel):
    id: int
    cycle_id: int
    name_ko: str
    levels: list[LevelOut]
    created_at: SeoulDatetime
