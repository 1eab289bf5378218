from datetime import date

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.evaluation.common import SeoulDatetime
from services.evaluation.windows.phases import Phase
from shared.language import ValueErrorKo


class WindowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phase: Phase
    starts_on: date = Field(description="First day (Asia/Seoul), included.", examples=["2017-08-25"])
    ends_on: date = Field(description="Last day (Asia/Seoul), included.", examples=["2017-08-31"])

    @field_validator("ends_on")
    @classmethod
    def _not_before_start(cls, ends_on: date, info: ValidationInfo) -> date:
        starts_on = info.data.get("starts_on")
        if starts_on is not None and ends_on < starts_on:
            raise ValueErrorKo(
                f"the last day {ends_on} is before the first day {starts_on}",
                f"마지막 날 {ends_on}이(가) 첫날 {starts_on}보다 앞섭니다.",
            )
        return ends_on


class ExtensionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    ends_on: date = Field(
        description="The new last day, later than the current one.", examples=["2017-09-04"]
    )
    reason: str = Field(min_length=1, max_length=2000, examples=["추석 연휴로 제출 기한 연장"])


class ExtensionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    previous_ends_on: date
    ends_on: date
    reason: str
    actor: str
    actor_role: str
    at: SeoulDatetime


class WindowOut(BaseModel):
    id: int
    cycle_id: int
    round: int
    phase: Phase
    phase_ko: str
    starts_on: date
    ends_on: date = Field(description="The last day now, extensions included.")
    original_ends_on: date
    extensions: list[ExtensionOut]
