from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.budget.common import KRW, DistrictCode, SeoulDatetime, Track

ProposalStatus = Literal[
    "submitted",
    "accepted",
    "rejected",
    "shortlisted_1",
    "screened_out_1",
    "governance_school",
    "intensive_workshop",
    "coaching_forum",
    "revised",
    "shortlisted_2",
    "screened_out_2",
    "selected",
    "not_selected",
    "merged",
    "split",
]
DeliberationStage = Literal["governance_school", "intensive_workshop", "coaching_forum"]
Channel = Literal["online", "mail", "in_person"]
Title = Field(min_length=1, max_length=300)
Note = Field(default=None, min_length=1, max_length=4000)


class ProposalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district_code: DistrictCode | None = Field(default=None, description="None for a city-level proposal.")
    track: Track
    channel: Channel = "online"
    title_ko: str = Title
    title_en: str | None = Field(default=None, max_length=300)
    summary: str | None = Field(default=None, max_length=10_000)
    requested_krw: KRW


class ProposalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    cycle_id: int
    envelope_id: int
    district_code: str | None
    track: Track
    channel: Channel
    title_ko: str
    title_en: str | None
    summary: str | None
    requested_krw: int
    amount_krw: int = Field(description="The current amount: the requested one until a revision changes it.")
    status: ProposalStatus
    submitted_at: SeoulDatetime
    updated_at: SeoulDatetime


class ReviewCreate(BaseModel):
    """The department's review; every failed criterion needs its note (the reason given to the proposer)."""

    model_config = ConfigDict(extra="forbid")

    legal_valid: bool
    legal_note: str | None = Note
    already_funded: bool
    funded_note: str | None = Note
    feasible: bool
    feasibility_note: str | None = Note
    department: str | None = Field(default=None, max_length=200, examples=["도시계획과"])


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    legal_valid: bool
    legal_note: str | None
    already_funded: bool
    funded_note: str | None
    feasible: bool
    feasibility_note: str | None
    decision: Literal["accepted", "rejected"]
    department: str | None
    reviewed_by: str
    reviewed_at: SeoulDatetime


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    actor: str
    actor_role: str | None
    reason: str | None
    at: SeoulDatetime


class LineageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    parent_id: int
    child_id: int
    kind: Literal["merge", "split"]
    stage: DeliberationStage
    note: str | None


class ProposalDetail(ProposalOut):
    review: ReviewOut | None = None
    transitions: list[TransitionOut] = []
    parents: list[LineageOut] = Field(default=[], description="Proposals this one was merged or split from.")
    children: list[LineageOut] = Field(default=[], description="Proposals made from this one.")


class StageChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: DeliberationStage
    note: str | None = Note


class RevisionCreate(BaseModel):
    """The revised final proposal, submitted after the coaching forum."""

    model_config = ConfigDict(extra="forbid")

    title_ko: str | None = Field(default=None, min_length=1, max_length=300)
    summary: str | None = Field(default=None, max_length=10_000)
    amount_krw: KRW
    note: str | None = Note


class MergeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proposal_ids: list[int] = Field(min_length=2, max_length=50)
    title_ko: str = Title
    summary: str | None = Field(default=None, max_length=10_000)
    amount_krw: KRW
    note: str | None = Note


class SplitPart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_ko: str = Title
    summary: str | None = Field(default=None, max_length=10_000)
    amount_krw: KRW


class SplitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parts: list[SplitPart] = Field(min_length=2, max_length=20)
    note: str | None = Note


class ShortlistAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proposal_id: int = Field(ge=1, le=2**31 - 1)
    note: str | None = Note


class ScreeningEntryOut(BaseModel):
    proposal_id: int
    title_ko: str
    amount_krw: int
    added_by: str
    added_at: SeoulDatetime


class ScreeningOut(BaseModel):
    envelope_id: int
    round: Literal[1, 2]
    status: Literal["open", "closed"]
    cap_percent: int
    envelope_krw: int
    cap_krw: int = Field(description="The largest shortlist total allowed: floor(envelope × cap %).")
    total_krw: int
    remaining_krw: int
    entries: list[ScreeningEntryOut]
