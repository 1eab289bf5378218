from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.budget.common import SeoulDatetime, WholeKRW
from shared.language import ValueErrorKo

AmendmentStatus = Literal[
    "pending_council", "council_approved", "council_refused", "requested", "approved", "rejected"
]


class LineChange(BaseModel):
    """A line's new amount; without `line_id`, a new line named `name_ko`."""

    model_config = ConfigDict(extra="forbid")

    line_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    name_ko: str | None = Field(default=None, min_length=1, max_length=200)
    amount_krw: WholeKRW

    @model_validator(mode="after")
    def _line_or_name(self) -> "LineChange":
        if self.line_id is None and self.name_ko is None:
            raise ValueErrorKo(
                "name an existing line (line_id) or a new one (name_ko)",
                "기존 항목(line_id)이나 새 항목(name_ko) 중 하나를 지정하십시오.",
            )
        return self


class AmendmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[LineChange] = Field(min_length=1, max_length=100)
    reason_ko: str = Field(min_length=1, max_length=2000)
    council_decision_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="The district governance council's decision (councils motion id); needed under 10 %.",
    )


class AmendmentDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approved", "rejected"]
    reason_ko: str = Field(min_length=1, max_length=2000)


class ChangeOut(BaseModel):
    line_id: int | None
    name_ko: str
    from_krw: int
    to_krw: int


class AmendmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    route: Literal["council", "city"] = Field(description="Who decides: the district council or the city.")
    status: AmendmentStatus
    transfer: bool = Field(description="A transfer between budget items (전용) against the last approval.")
    reason_ko: str
    changes: list[ChangeOut]
    baseline_krw: int = Field(description="The budget at the last city approval.")
    budget_before_krw: int
    budget_after_krw: int
    change_krw: int = Field(
        description="budget_after_krw − baseline_krw: cumulative since the last approval."
    )
    rule: str = Field(description="The arithmetic that routed it.")
    council_decision_id: int | None
    requested_on: date
    council_checked_at: SeoulDatetime | None
    council_check_note: str | None
    decided_by: str | None
    decided_at: SeoulDatetime | None
    decision_reason: str | None
    created_at: SeoulDatetime
    created_by: str
