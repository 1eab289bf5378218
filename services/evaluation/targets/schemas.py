from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.evaluation.common import DistrictCode, SeoulDatetime


class TargetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: int = Field(
        ge=1, le=2**31 - 1, description="The councils service's organisation id (a consortium).", examples=[7]
    )
    district_code: DistrictCode
    round: Literal[1, 2] = Field(description="The round the agency chose (DOMAIN.md §3).")
    grant_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The budget service's grant this evaluates, if any."
    )


class Weights(BaseModel):
    common: int = Field(description="Points of the cycle's common indicators (공통지표).")
    specific: int = Field(description="Points of this target's own indicators (개별지표).")
    total: int = Field(description="Must be exactly 100 before the target opens.")


class TargetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    cycle_id: int
    organization_id: int
    district_code: str
    grant_id: int | None
    round: int
    status: Literal["configuring", "open"]
    opened_at: SeoulDatetime | None
    opened_by: str | None
    created_at: SeoulDatetime
    weights: Weights


class RoundOut(BaseModel):
    cycle_id: int
    round: int
    opened_at: SeoulDatetime
    opened_by: str
    target_ids: list[int] = Field(description="The targets this opening opened.")
