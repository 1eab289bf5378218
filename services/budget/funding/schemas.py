from pydantic import BaseModel, ConfigDict, Field

from services.budget.common import SeoulDatetime

Krw = Field(ge=0, le=10**15)


class FundingTypeUpdate(BaseModel):
    """The whole corrected reading of a funding type; the change and its reason go to the history."""

    model_config = ConfigDict(extra="forbid")

    name_ko: str = Field(min_length=1, max_length=100)
    name_en: str | None = Field(default=None, max_length=100)
    district_grant_krw: int | None = Krw
    max_total_krw: int | None = Krw
    max_integration_krw: int | None = Krw
    innovation_plan_krw: int | None = Krw
    innovation_plan_included: bool
    neighbourhood_plan_krw: int = Krw
    source: str = Field(min_length=1, max_length=500, description="Where the corrected figures come from.")
    reason: str = Field(min_length=1, max_length=500)


class DistrictFundingSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    funding_type: str = Field(min_length=1, max_length=40, examples=["separate"])
    neighbourhoods: int = Field(ge=0, le=1000, description="The district's number of 동 (neighbourhoods).")
    source: str | None = Field(default=None, max_length=500)


class DistrictFundingOut(BaseModel):
    district_code: str
    fiscal_year: int
    funding_type: str
    neighbourhoods: int
    source: str | None
    cap_krw: int = Field(description="The type's district amount (or ceiling) + neighbourhood plans × 동.")
    committed_krw: int = Field(description="The district's envelopes of the year + its awarded grants.")
    room_krw: int = Field(description="cap_krw − committed_krw (negative only if the cap was lowered since).")
    created_at: SeoulDatetime
    created_by: str
