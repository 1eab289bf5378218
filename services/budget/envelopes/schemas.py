from pydantic import BaseModel, ConfigDict, Field

from services.budget.common import KRW, DistrictCode, SeoulDatetime, Track


class FundingTypeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_ko: str
    name_en: str | None
    district_grant_krw: int | None = Field(description="Fixed district grant, when the type has one.")
    max_total_krw: int | None = Field(description="Ceiling of the whole grant, when the type has one.")
    max_integration_krw: int | None
    innovation_plan_krw: int | None = Field(description="Community Innovation Plan grant on top, if any.")
    innovation_plan_included: bool
    neighbourhood_plan_krw: int = Field(description="Neighbourhood (동) plan grant, per neighbourhood.")
    source: str | None = Field(
        default=None, description="Where these figures come from (a reading of seed 003)."
    )


class EnvelopeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district_code: DistrictCode | None = Field(default=None, description="None for a city-level envelope.")
    track: Track
    amount_krw: KRW
    funding_type: str | None = Field(default=None, examples=["general"])
    neighbourhoods: int | None = Field(default=None, ge=0, le=1000)


class EnvelopeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    cycle_id: int
    district_code: str | None
    track: Track
    amount_krw: int
    funding_type: str | None
    neighbourhoods: int | None
    created_at: SeoulDatetime
