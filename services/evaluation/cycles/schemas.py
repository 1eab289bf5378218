from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class CycleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    programme: str = Field(min_length=1, max_length=80, examples=["civic_platform"])
    name_ko: str = Field(min_length=1, max_length=200, examples=["2017 시민협력플랫폼 성과평가"])
    year: int = Field(ge=2000, le=2100, examples=[2017])


class CycleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    programme: str
    name_ko: str
    year: int
    created_at: datetime
