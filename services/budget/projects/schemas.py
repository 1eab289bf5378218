from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.budget.common import SeoulDatetime, WholeKRW
from shared.dates import IsoDate
from shared.language import ValueErrorKo

ProjectStatus = Literal["planned", "in_progress", "done", "cancelled"]
MilestoneStatus = Literal["planned", "in_progress", "done"]


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_ko: str = Field(min_length=1, max_length=200, examples=["공사비"])
    amount_krw: WholeKRW


class ProjectsCreate(BaseModel):
    """Optional budget lines per selected project (by its id on the ballot); otherwise one line, its cost."""

    model_config = ConfigDict(extra="forbid")

    lines: dict[str, list[LineIn]] = Field(
        default={},
        max_length=1000,
        description="Per election project id: its budget lines, which must add up to its cost.",
    )

    @model_validator(mode="after")
    def _distinct_names(self) -> "ProjectsCreate":
        for project_id, lines in self.lines.items():
            if not lines:
                raise ValueErrorKo(
                    f"project {project_id}: at least one budget line",
                    f"사업 {project_id}: 예산 항목이 하나 이상 있어야 합니다.",
                )
            if len(lines) > 100:
                raise ValueErrorKo(
                    f"project {project_id}: at most 100 budget lines",
                    f"사업 {project_id}: 예산 항목은 100개까지입니다.",
                )
            if len({line.name_ko for line in lines}) != len(lines):
                raise ValueErrorKo(
                    f"project {project_id}: two lines share a name",
                    f"사업 {project_id}: 이름이 같은 예산 항목이 둘 있습니다.",
                )
        return self


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    name_ko: str
    amount_krw: int
    approved_amount_krw: int = Field(description="The amount at the last city approval.")
    spent_krw: int


class MilestoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    title_ko: str
    due_on: date
    weight: int = Field(
        description="Integer share of the project's progress; a project's weights sum to 100."
    )
    status: MilestoneStatus
    done_on: date | None


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    election_id: int
    election_project_id: str
    outcome_id: int
    proposal_id: int | None
    district_code: str
    title_ko: str
    budget_krw: int = Field(description="The current budget: the sum of the lines.")
    approved_budget_krw: int = Field(description="The budget at the last city approval.")
    status: ProjectStatus
    created_at: SeoulDatetime
    updated_at: SeoulDatetime


class ProjectDetail(ProjectOut):
    spent_krw: int
    remaining_krw: int
    progress: int = Field(description="Σ weight of the done milestones, 0–100.")
    weights_total: int = Field(description="Σ weight of all milestones; progress is reported once it is 100.")
    lines: list[LineOut]
    milestones: list[MilestoneOut]


class ProjectsCreated(BaseModel):
    created: int = Field(description="Projects created by this call (0 when they all existed).")
    items: list[ProjectOut]


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ProjectStatus
    reason: str | None = Field(default=None, max_length=2000)


class MilestoneCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_ko: str = Field(min_length=1, max_length=200)
    due_on: IsoDate
    weight: int = Field(ge=1, le=100, description="Integer share of the project's progress, explicit.")


class MilestoneStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["in_progress", "done"]
    done_on: IsoDate | None = Field(
        default=None, description="The day it was done (Asia/Seoul); today by default."
    )
    reason: str | None = Field(default=None, max_length=2000)


class TimelineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Literal["project", "milestone", "amendment", "expenditure"]
    subject_id: int
    from_status: str | None
    to_status: str | None
    progress: int = Field(description="The project's progress after this step.")
    amount_krw: int | None
    actor: str
    actor_role: str | None
    reason: str | None
    at: SeoulDatetime
    on: date = Field(description="The Seoul date of `at`.")


class LineSummary(BaseModel):
    line_id: int
    name_ko: str
    amount_krw: int
    spent_krw: int
    remaining_krw: int


class AccountSummary(BaseModel):
    account_code: str
    name_ko: str
    spent_krw: int
    count: int


class SpendingSummary(BaseModel):
    project_id: int
    district_code: str
    status: ProjectStatus
    budget_krw: int
    approved_budget_krw: int
    spent_krw: int
    remaining_krw: int
    spent_per_mille: int = Field(description="spent × 1000 ÷ budget, rounded down (integer arithmetic).")
    progress: int
    expenditures: int
    lines: list[LineSummary]
    accounts: list[AccountSummary]
