from pydantic import BaseModel, Field


class RegionRef(BaseModel):
    grouping: str = Field(description="Region grouping code, e.g. `planning`.")
    code: str
    name_ko: str
    name_en: str | None = None


class DistrictOut(BaseModel):
    code: str = Field(description="5-digit administrative code (행정표준코드).", examples=["11110"])
    name_ko: str = Field(examples=["종로구"])
    name_en: str | None = Field(default=None, examples=["Jongno-gu"])
    regions: list[RegionRef] = Field(
        default_factory=list, description="The district's region in each grouping."
    )


class RegionOut(BaseModel):
    code: str
    name_ko: str
    name_en: str | None = None
    support_officer: str | None = Field(
        default=None, description="City support officer assigned to the region."
    )
    district_codes: list[str]


class RegionGroupingOut(BaseModel):
    code: str
    name_ko: str
    name_en: str | None = None
    source: str | None = None
    regions: list[RegionOut]
