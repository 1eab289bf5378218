from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.evaluation.common import SeoulDatetime

Ground = Literal["exclusion", "challenge", "withdrawal"]
Status = Literal["pending", "upheld", "rejected", "lifted"]
Reason = Field(min_length=1, max_length=2000, examples=["해당 위원이 컨소시엄 구성단체의 이사로 재직 중"])


class ChallengeIn(BaseModel):
    """기피: the agency asks that a rater of its target's panel be kept from it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    panel_member_id: int = Field(ge=1, le=2**31 - 1)
    reason: str = Reason


class WithdrawalIn(BaseModel):
    """회피: a rater steps back from a target."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Reason


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Literal["upheld", "rejected"]
    reason: str = Reason


class RecusalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    panel_member_id: int
    target_id: int
    ground: Ground
    status: Status
    reason: str
    requested_by: str
    requested_at: SeoulDatetime
    decided_by: str | None
    decided_at: SeoulDatetime | None
    decision_reason: str | None


class MemberOrganizationsIn(BaseModel):
    """The consortium's member organisations (councils ids); the list replaces the previous one."""

    model_config = ConfigDict(extra="forbid")

    organization_ids: list[int] = Field(max_length=200, examples=[[1002, 1003]])


class MemberOrganizationsOut(BaseModel):
    target_id: int
    organization_id: int
    member_organization_ids: list[int]
    exclusions: list[RecusalOut] = Field(
        description="The exclusions (제척) of the target's panel, upheld or lifted."
    )
