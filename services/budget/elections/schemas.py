from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from services.budget.common import KRW, SeoulDatetime
from shared.dates import AwareIsoDatetime
from shared.language import ValueErrorKo

BallotType = Literal["approval", "knapsack", "cumulative"]
RuleName = Literal["greedy", "greedy-threshold", "greedy-no-skip", "mes-add1", "mes-add1-comparison"]
ProjectCode = Annotated[str, Field(pattern=r"^[^,;\s]{1,64}$", examples=["12"])]
GroupCode = Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,40}$", examples=["citizens"])]
MAX_VOTER_GROUPS = 20


def exact(value: Decimal | int) -> int | str:
    """An exact amount for JSON: an integer, or a decimal string when it has a fraction (foreign files)."""
    if isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() else format(value.normalize(), "f")


Amount = Annotated[Decimal, PlainSerializer(exact, return_type=int | str)]


class BallotRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: BallotType = "approval"
    min_length: int = Field(default=0, ge=0, le=1000, description="Fewest projects a ballot names.")
    max_length: int | None = Field(default=None, ge=1, le=1000, description="Most projects a ballot names.")
    max_total_cost_krw: KRW | None = Field(
        default=None,
        description="Most a ballot's projects may cost together (knapsack: the budget by default).",
    )
    max_points: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Cumulative: points to spend."
    )

    @model_validator(mode="after")
    def _consistent(self) -> "BallotRules":
        if self.max_length is not None and self.max_length < self.min_length:
            raise ValueErrorKo(
                "max_length is smaller than min_length", "max_length가 min_length보다 작습니다."
            )
        if (self.type == "cumulative") != (self.max_points is not None):
            raise ValueErrorKo(
                "max_points is required for cumulative ballots, and only for them",
                "max_points는 누적 투표지에만, 그리고 반드시 지정해야 합니다.",
            )
        return self


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: ProjectCode
    name: str = Field(min_length=1, max_length=300)
    cost_krw: KRW
    proposal_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class VoterGroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: GroupCode
    name_ko: str = Field(min_length=1, max_length=100)
    weight: int = Field(ge=1, le=1_000_000)
    open: bool = Field(
        default=True, description="Any citizen may vote in an open group; else the voter roll."
    )


DEFAULT_GROUPS = [VoterGroupIn(code="citizens", name_ko="시민", weight=1, open=True)]


class ElectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_ko: str = Field(min_length=1, max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    cycle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    envelope_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="The envelope voted on (from_shortlist: its shortlist); an envelope has one election.",
    )
    from_shortlist: bool = Field(
        default=False, description="The envelope's second-screening shortlist as projects."
    )
    budget_krw: KRW | None = Field(default=None, description="The envelope's amount when omitted.")
    ballot: BallotRules = BallotRules()
    projects: list[ProjectIn] = Field(default=[], max_length=1000)
    voter_groups: list[VoterGroupIn] = Field(
        default=DEFAULT_GROUPS, min_length=1, max_length=MAX_VOTER_GROUPS
    )
    opens_at: AwareIsoDatetime
    closes_at: AwareIsoDatetime
    rule: RuleName = "greedy"
    rule_params: dict[str, int | str] = Field(default={}, examples=[{"threshold": 100}])

    @model_validator(mode="after")
    def _consistent(self) -> "ElectionCreate":
        if self.closes_at <= self.opens_at:
            raise ValueErrorKo("closes_at must be after opens_at", "closes_at은 opens_at보다 뒤여야 합니다.")
        if len({p.project_id for p in self.projects}) != len(self.projects):
            raise ValueErrorKo("two projects share a project_id", "두 사업의 project_id가 같습니다.")
        if len({g.code for g in self.voter_groups}) != len(self.voter_groups):
            raise ValueErrorKo("two voter groups share a code", "두 투표자 그룹의 코드가 같습니다.")
        return self


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    project_id: str
    name: str | None
    cost: Amount
    proposal_id: int | None


class VoterGroupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_ko: str
    weight: int
    open: bool


class BallotRulesOut(BaseModel):
    type: BallotType
    min_length: int
    max_length: int | None
    max_total_cost: Amount | None
    max_points: Amount | None


class ElectionOut(BaseModel):
    id: int
    name_ko: str
    name_en: str | None
    cycle_id: int | None
    envelope_id: int | None
    source: Literal["native", "pabulib"]
    status: Literal["scheduled", "open", "closed", "published"]
    budget: Amount
    currency: str
    ballot: BallotRulesOut
    rule: RuleName
    rule_params: dict[str, Any]
    opens_at: SeoulDatetime
    closes_at: SeoulDatetime
    published_at: SeoulDatetime | None
    voter_groups: list[VoterGroupOut]
    projects: list[ProjectOut]
    meta: dict[str, str] = Field(description="The Pabulib META of an imported election.")


class ElectionSummary(BaseModel):
    id: int
    name_ko: str
    source: Literal["native", "pabulib"]
    status: Literal["scheduled", "open", "closed", "published"]
    opens_at: SeoulDatetime
    closes_at: SeoulDatetime


class BallotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_ids: list[ProjectCode] = Field(max_length=1000, description="The projects chosen, as listed.")
    points: list[int] | None = Field(
        default=None,
        max_length=1000,
        description="Cumulative ballots: points per project, in the same order.",
    )
    voter_group: GroupCode | None = Field(
        default=None, description="Defaults to the voter's roll group or the open one."
    )


class BallotOut(BaseModel):
    election_id: int
    voter_group: str
    project_ids: list[str]
    points: list[int] | None
    cast_at: SeoulDatetime
    revision: int = Field(description="1 for the first ballot, +1 each time it is replaced.")


class VoterRollIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    voter_group: GroupCode
    subjects: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=10_000
    )


class VoterRollOut(BaseModel):
    voter_group: str
    added: int


class OutcomeProject(BaseModel):
    project_id: str
    selected: bool
    cost: int | str
    votes: int
    score: int | str
    explanation: str


class OutcomeOut(BaseModel):
    id: int
    election_id: int
    rule: RuleName
    params: dict[str, Any]
    tie_break: list[str]
    ballot_digest: str = Field(
        description="sha256 of the sorted, anonymous ballots the outcome was computed from."
    )
    n_ballots: int
    selected: list[str] = Field(description="Selected project ids, as in the file, in the order selected.")
    total_cost: int | str
    projects: list[OutcomeProject]
    details: dict[str, Any]
    computed_at: SeoulDatetime


class OutcomeComputing(BaseModel):
    """202: the outcome is being computed (here or by another replica); ask the same URL again."""

    status: Literal["computing"] = "computing"
    election_id: int
    rule: RuleName
    started_at: SeoulDatetime = Field(description="When its computation started (Asia/Seoul).")
    retry_after: int = Field(description="Seconds to wait before asking again, as in the Retry-After header.")


class ImportRepair(BaseModel):
    line: int = Field(description="The file's 1-based line.")
    detail: str = Field(examples=["vote lists project '17' more than once: counted once"])


class ImportResult(BaseModel):
    id: int
    name_ko: str
    n_projects: int
    n_ballots: int
    rule: str
    published: bool
    repairs: list[ImportRepair] = Field(
        default=[], description="What the import repaired instead of refusing the file (the first 1,000)."
    )
    n_repairs: int = Field(default=0, description="How many repairs in all.")
