from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.evaluation.common import SeoulDatetime

RaterType = Literal["official", "expert"]
OrganizationId = Field(ge=1, le=2**31 - 1, description="A councils organisation id.", examples=[1001])


class TieIn(BaseModel):
    """An organisation the rater is a member of or otherwise tied to (grounds for 제척 from its targets)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    organization_id: int = OrganizationId
    reason: str = Field(min_length=1, max_length=1000, examples=["은평구 마을공동체 네트워크 운영위원"])


class TieOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    organization_id: int
    reason: str
    created_at: SeoulDatetime
    created_by: str


class PanelMemberIn(BaseModel):
    """A rater to appoint: the `sub` of its token (role evaluator, or city_officer for officials who rate)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject: str = Field(min_length=1, max_length=200, examples=["expert-kim"])
    name_ko: str = Field(min_length=1, max_length=200, examples=["김평가"])
    rater_type: RaterType
    ties: list[TieIn] = Field(default_factory=list, max_length=50)


class ReplacementIn(PanelMemberIn):
    reason: str = Field(min_length=1, max_length=1000, examples=["개인 사정으로 사임"])


class PanelMemberOut(BaseModel):
    id: int
    cycle_id: int
    round: int
    subject: str
    name_ko: str
    rater_type: RaterType
    active: bool
    replaced_member_id: int | None
    replaced_reason: str | None
    replaced_by_id: int | None
    ties: list[TieOut]
    created_at: SeoulDatetime
    created_by: str
