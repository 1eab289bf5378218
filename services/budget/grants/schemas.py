from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from services.budget.common import DistrictCode, SeoulDatetime
from shared.dates import IsoDate
from shared.language import ValueErrorKo

GrantKind = Literal["innovation_plan", "civic_platform"]
Phase = Literal["planning", "execution", "operation"]
Category = Literal["continue", "increase", "reduce", "stop"]
GrantStatus = Literal["applied", "awarded", "paid", "rejected"]
PHASES_OF: dict[str, tuple[str, ...]] = {
    "innovation_plan": ("planning", "execution"),
    "civic_platform": ("operation",),
}


OptKrw = Annotated[int | None, Field(ge=0, le=10**15)]


class PhaseWindow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phase: Phase
    applications_open_on: IsoDate | None = Field(default=None, description="Seoul date; None: open now.")
    application_deadline: IsoDate = Field(description="Last Seoul day applications are taken (inclusive).")
    starts_on: IsoDate | None = None
    ends_on: IsoDate | None = None


class PolicySet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    planning_max_krw: OptKrw = Field(
        default=None, description="Innovation plan: the planning (수립) grant's maximum."
    )
    plan_total_krw: OptKrw = Field(
        default=None, description="Innovation plan: planning + execution (실행) together."
    )
    yearly_max_krw: OptKrw = Field(default=None, description="Civic platform: the most a year.")
    max_years: int | None = Field(default=None, ge=1, le=10, description="Civic platform: the most years.")
    increase_percent: int | None = Field(default=None, ge=0, le=100, description="After `increase`: +n %.")
    reduce_percent: int | None = Field(default=None, ge=0, le=100, description="After `reduce`: −n %.")
    min_district_share_bp: int = Field(
        ge=0, le=10000, description="The least 구비 share of a grant, in basis points (3000 = 30 %)."
    )
    phases: list[PhaseWindow] = Field(min_length=1, max_length=3)
    source: str | None = Field(default=None, max_length=500)


class PolicyOut(BaseModel):
    fiscal_year: int
    kind: GrantKind
    planning_max_krw: int | None
    plan_total_krw: int | None
    yearly_max_krw: int | None
    max_years: int | None
    increase_percent: int | None
    reduce_percent: int | None
    min_district_share_bp: int
    phases: list[PhaseWindow]
    source: str | None


class GrantApply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: GrantKind
    phase: Phase | None = Field(default=None, description="planning or execution (innovation plan).")
    district_code: DistrictCode
    organization_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description=(
            "The councils organisation the grant funds (a platform's consortium), checked with councils when"
            " written: it must be registered there, in `district_code`."
        ),
        examples=[7],
    )
    fiscal_year: int = Field(ge=2000, le=2100)
    title_ko: str = Field(min_length=1, max_length=200)
    amount_krw: OptKrw = Field(
        default=None,
        description=(
            "The grant total (시비 + 구비). Never given for an execution grant or a platform's further year:"
            " those are computed, and a request carrying one is refused."
        ),
    )
    district_share_krw: int = Field(ge=0, le=10**15, description="구비, whole KRW.")
    city_share_krw: OptKrw = Field(
        default=None, description="시비; if given, must be amount − district share."
    )
    previous_grant_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="A platform's previous year, for a further year."
    )


class Payment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paid_krw: int = Field(ge=0, le=10**15)
    paid_on: IsoDate


class GrantOut(BaseModel):
    id: int
    kind: GrantKind
    phase: Phase
    district_code: str
    organization_id: int | None
    fiscal_year: int
    title_ko: str
    platform_year: int | None = Field(description="A platform's year, which is its stage (1-3).")
    previous_grant_id: int | None
    amount_krw: int
    city_share_krw: int
    district_share_krw: int
    status: GrantStatus
    paid_krw: int | None
    paid_on: date | None
    awarded_at: SeoulDatetime | None
    evaluation_result_id: int | None
    created_at: SeoulDatetime
    created_by: str


def _plausible(moment: datetime) -> datetime:
    if not 2000 <= moment.year <= 2100:
        raise ValueErrorKo(
            "a confirmation time between the years 2000 and 2100 is expected",
            "확정 시각은 2000년과 2100년 사이여야 합니다.",
        )
    return moment


class EvaluationResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: UUID = Field(description="Unique per delivered result: the same event again is stored once.")
    grant_id: int = Field(ge=1, le=2**31 - 1, description="The platform grant of the evaluated year.")
    cycle_year: int = Field(ge=2000, le=2100)
    category: Category
    confirmed_at: Annotated[AwareDatetime, AfterValidator(_plausible)]


class EvaluationResultOut(BaseModel):
    id: int
    event_id: UUID
    grant_id: int
    cycle_year: int
    category: Category
    confirmed_at: SeoulDatetime
    recorded_at: SeoulDatetime
    created: bool = Field(description="False when this event had been delivered before (nothing changed).")
