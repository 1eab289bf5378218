from pydantic import BaseModel, Field


class DistrictYearSummary(BaseModel):
    district_code: str
    fiscal_year: int
    funding_type: str | None = Field(description="None until a city officer assigns the year's type.")
    neighbourhoods: int | None
    cap_krw: int | None = Field(description="The type's cap for the year (None without a type).")
    envelope_krw: int = Field(description="The district's envelopes in the year's cycles.")
    grants_krw: int = Field(description="Awarded and paid grants (시비 + 구비).")
    city_share_krw: int = Field(description="시비 of those grants.")
    district_share_krw: int = Field(description="구비 of those grants.")
    spent_krw: int = Field(description="Recorded expenditures of the projects the year's cycles fund.")
    remaining_krw: int = Field(description="envelope_krw + grants_krw − spent_krw.")
