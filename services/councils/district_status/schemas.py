from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.councils.common.dates import PartialDate
from shared.language import ValueErrorKo

OrdinanceStatus = Literal["enacted", "pending", "none"]


class RecordedBody(BaseModel):
    """A body as the status record describes it (figures as given; the registry's own bodies are separate)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["tft", "district_council"]
    formed_date: PartialDate | None = None
    meetings_held: int | None = Field(default=None, ge=0)
    civil: int | None = Field(default=None, ge=0, description="민간")
    councillor: int | None = Field(default=None, ge=0, description="구의원")
    official: int | None = Field(default=None, ge=0, description="행정")
    note: str | None = Field(default=None, max_length=2000)


class DistrictStatusCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: PartialDate = Field(description="The date the record describes.", examples=["2017-06-30"])
    source: str = Field(
        min_length=1, max_length=1000, examples=["seed 004, 자치구 지역사회혁신계획 추진 현황"]
    )
    department: str | None = Field(default=None, max_length=300, examples=["기획예산과 지역협치팀"])
    support_officers_hired: int | None = Field(default=None, ge=0, le=1000, description="협치지원관 (count)")
    coordinator_appointed: bool | None = Field(default=None, description="협치조정관 appointed")
    coordinator_note: str | None = Field(default=None, max_length=2000)
    ordinance_status: OrdinanceStatus | None = Field(default=None, description="민관협치 활성화 기본조례")
    ordinance_enacted_date: PartialDate | None = None
    ordinance_note: str | None = Field(default=None, max_length=2000)
    forums_held: int | None = Field(default=None, ge=0, le=100_000, description="공론장 held")
    bodies: list[RecordedBody] = Field(default_factory=list, max_length=20)
    note: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _ordinance(self) -> Self:
        if self.ordinance_enacted_date is not None and self.ordinance_status not in (None, "enacted"):
            raise ValueErrorKo(
                "an enactment date goes with ordinance_status 'enacted'",
                "제정일은 ordinance_status가 'enacted'일 때만 지정합니다.",
            )
        if self.ordinance_enacted_date is not None:
            self.ordinance_status = "enacted"
        return self


class DistrictStatusOut(DistrictStatusCreate):
    model_config = ConfigDict(from_attributes=True)

    id: int
    district_code: str
    created_at: datetime
