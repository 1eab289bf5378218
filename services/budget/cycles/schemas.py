from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CycleStatus = Literal["draft", "open", "closed"]


class CycleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_ko: str = Field(min_length=1, max_length=200, examples=["2018년 시민참여예산"])
    name_en: str | None = Field(default=None, max_length=200)
    fiscal_year: int = Field(ge=2000, le=2100, examples=[2018])


class CycleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name_ko: str
    name_en: str | None
    fiscal_year: int
    status: CycleStatus
    created_at: datetime
