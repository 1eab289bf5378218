from pydantic import BaseModel, ConfigDict, Field

CODE_PATTERN = r"^[A-Za-z0-9_.\-]{1,60}$"
AmountKrw = Field(ge=0, le=10**15, description="Whole KRW (the 2017 source is in thousand KRW: × 1,000).")


class NodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, examples=["local.innovation"])
    parent_code: str | None = Field(default=None, pattern=CODE_PATTERN, description="None for the root.")
    name_ko: str = Field(min_length=1, max_length=200, examples=["지역사회 혁신계획 수립・실행 지원"])
    amount_krw: int = AmountKrw


class ProgrammeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nodes: list[NodeIn] = Field(min_length=1, max_length=500, description="Parents before or after children.")
    source: str | None = Field(default=None, max_length=500)


class NodeChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN)
    amount_krw: int = AmountKrw


class ProgrammeChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: list[NodeChange] = Field(
        min_length=1, max_length=500, description="Applied together: a child and its ancestors in one batch."
    )
    reason: str = Field(min_length=1, max_length=500)


class NodeOut(BaseModel):
    code: str
    parent_code: str | None
    name_ko: str
    amount_krw: int
    depth: int = Field(description="0 for the root.")
    children: list[str] = Field(description="The children's codes, in order.")


class ProgrammeOut(BaseModel):
    fiscal_year: int
    total_krw: int = Field(description="The root's amount, which is the sum of every leaf.")
    source: str | None
    nodes: list[NodeOut] = Field(description="Depth-first, parents before their children.")
