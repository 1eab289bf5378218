from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from services.councils.meetings.times import SeoulTimeOfDay
from shared.dates import IsoDate, IsoDatetime
from shared.language import ValueErrorKo
from shared.seoul import SEOUL

MeetingKind = Literal["regular", "extraordinary", "steering", "plenary"]
MeetingStatus = Literal["scheduled", "held", "cancelled"]
AttendanceStatus = Literal["present", "absent", "excused", "observer"]
MotionKind = Literal["ordinary", "rule_amendment"]
DocumentKind = Literal["agenda", "minutes", "attachment"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _in_seoul(moment: datetime) -> datetime:
    """A time without an offset is Seoul time."""
    return moment.replace(tzinfo=SEOUL) if moment.tzinfo is None else moment


SeoulTime = Annotated[
    IsoDatetime,
    AfterValidator(_in_seoul),
    Field(
        description="ISO 8601; without an offset it is Asia/Seoul.", examples=["2017-06-26T15:00:00+09:00"]
    ),
]


Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
REQUESTED_BY = (
    "Who requested an extraordinary meeting (person ids; a repeat counts once). A steering committee's "
    "needs at least `rules.extraordinary_min_requesters` (2) people seated in it on the meeting's date "
    "(운영규정 제5조③); kept as given for other bodies' extraordinary meetings."
)
CALLED_BY = (
    "The motion (resolution) that called an extraordinary meeting. A plenary's must be a passed motion of "
    "its steering committee held on or before the meeting's date (운영규정 제4조④); kept as given for "
    "other bodies' extraordinary meetings."
)


class AgendaItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(
        min_length=1, max_length=1000, examples=["협치서울 지역협의회 운영규정 개정(안)에 대한 건"]
    )
    kind: Literal["report", "deliberation", "other"] | None = None
    description: str | None = Field(default=None, max_length=10_000)


class AgendaItemOut(AgendaItemIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int


class MeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: int = Field(ge=1, description="The body meeting.")
    kind: MeetingKind
    title: str = Field(min_length=1, max_length=500, examples=["협치서울 지역협의회 4차 전체회의"])
    starts_at: SeoulTime
    ends_at: SeoulTime | None = None
    place: str | None = Field(default=None, max_length=500, examples=["은평상상허브 3층 즐거운 소통"])
    status: MeetingStatus = "scheduled"
    note: str | None = Field(default=None, max_length=4000)
    agenda: list[AgendaItemIn] = Field(default_factory=list, max_length=200)
    requested_by: list[Id] | None = Field(
        default=None, max_length=1000, description=REQUESTED_BY, examples=[[3, 7]]
    )
    called_by_motion_id: Id | None = Field(default=None, description=CALLED_BY, examples=[12])

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, ends_at: datetime | None, info: object) -> datetime | None:
        starts_at = getattr(info, "data", {}).get("starts_at")
        if ends_at is not None and starts_at is not None and ends_at <= starts_at:
            raise ValueErrorKo("must be after starts_at", "starts_at보다 뒤여야 합니다.")
        return ends_at


class MeetingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=500)
    starts_at: SeoulTime | None = None
    ends_at: SeoulTime | None = None
    place: str | None = Field(default=None, max_length=500)
    status: MeetingStatus | None = None
    note: str | None = Field(default=None, max_length=4000)
    requested_by: list[Id] | None = Field(default=None, max_length=1000, description=REQUESTED_BY)
    called_by_motion_id: Id | None = Field(default=None, description=CALLED_BY)


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: DocumentKind
    title: str = Field(min_length=1, max_length=500, examples=["4차 운영위원회 회의록"])
    url: str | None = Field(default=None, max_length=2000)
    content: str | None = Field(default=None, max_length=1_000_000)


class DocumentOut(DocumentIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: int = Field(ge=1)
    status: AttendanceStatus
    note: str | None = Field(default=None, max_length=1000)


class AttendanceSet(BaseModel):
    """Attendance to record or correct (people not listed keep what they had)."""

    model_config = ConfigDict(extra="forbid")

    records: list[AttendanceIn] = Field(min_length=1, max_length=1000)


class AttendanceOut(BaseModel):
    person_id: int
    name_ko: str
    status: AttendanceStatus
    note: str | None


class Counts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yes: int = Field(ge=0, le=100_000)
    no: int = Field(ge=0, le=100_000)
    abstain: int = Field(ge=0, le=100_000)


class MotionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(
        min_length=1, max_length=1000, examples=["협치서울 지역협의회 운영위원 사임 처리의 건"]
    )
    text: str | None = Field(default=None, max_length=20_000)
    classification: MotionKind = Field(
        default="ordinary", description="`rule_amendment` needs the amendment fraction."
    )
    agenda_item_id: int | None = Field(default=None, ge=1)
    counts: Counts | None = Field(default=None, description="The vote's yes/no/abstain counts, once taken.")


class MotionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=1000)
    text: str | None = Field(default=None, max_length=20_000)
    counts: Counts | None = None


class ThresholdCheck(BaseModel):
    """A threshold applied to a count: the rule in words, the count it requires, and whether it was met."""

    rule: str = Field(examples=["more than 1/2 of 10 enrolled"])
    required: int
    met: bool | None


class MotionResult(BaseModel):
    """The decision and its arithmetic: enrolled on the date, present, thresholds, votes."""

    on: date
    enrolled: int
    present: int
    quorum: ThresholdCheck
    counts: Counts | None
    passing: ThresholdCheck
    passed: bool | None
    result: Literal["pass", "fail", "pending"]
    explanation: str


class MotionOut(BaseModel):
    id: int
    meeting_id: int
    agenda_item_id: int | None
    title: str
    text: str | None
    classification: MotionKind
    requirement: str = Field(
        description="What it takes to pass, from the body's rules (Popolo `requirement`)."
    )
    vote: MotionResult


class MeetingOut(BaseModel):
    id: int
    organization_id: int
    schedule_id: int | None
    kind: MeetingKind
    requested_by: list[int] = Field(description="Who requested it (extraordinary meetings), by person id.")
    called_by_motion_id: int | None = Field(description="The resolution that called it (extraordinary).")
    title: str
    starts_at: datetime
    ends_at: datetime | None
    place: str | None
    status: MeetingStatus
    note: str | None


class MeetingDetail(MeetingOut):
    agenda: list[AgendaItemOut]
    documents: list[DocumentOut]
    attendance: list[AttendanceOut]
    motions: list[MotionOut]


class ScheduleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: MeetingKind
    title: str = Field(min_length=1, max_length=500, examples=["운영위원회 정례회의"])
    interval_months: int = Field(default=1, ge=1, le=12, description="1 monthly, 2 bimonthly, 3 quarterly.")
    week_of_month: int = Field(ge=-1, le=5, description="1–5, or -1 for the last such weekday.", examples=[4])
    weekday: Weekday = Field(examples=["thu"])
    start_time: SeoulTimeOfDay
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    place: str | None = Field(default=None, max_length=500)
    valid_from: IsoDate
    valid_until: IsoDate | None = None
    note: str | None = Field(default=None, max_length=4000)

    @field_validator("week_of_month")
    @classmethod
    def _not_zero(cls, week: int) -> int:
        if week == 0:
            raise ValueErrorKo("must be 1–5 or -1", "1–5 또는 -1이어야 합니다.")
        return week

    @field_validator("valid_until")
    @classmethod
    def _after(cls, until: date | None, info: object) -> date | None:
        start = getattr(info, "data", {}).get("valid_from")
        if until is not None and start is not None and until < start:
            raise ValueErrorKo("must not be before valid_from", "valid_from보다 앞설 수 없습니다.")
        return until


class ScheduleOut(ScheduleCreate):
    id: int
    organization_id: int


class ExpandRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: IsoDate = Field(alias="from", examples=["2017-07-01"])
    end: IsoDate = Field(alias="to", examples=["2017-12-31"])


class Expansion(BaseModel):
    created: list[MeetingOut]
    existing: list[MeetingOut]


class Decision(BaseModel):
    """A motion's outcome as other services cite it."""

    id: int = Field(description="The motion's id.")
    title: str
    classification: MotionKind
    body_id: int
    body_name_ko: str
    body_classification: str
    district_code: str | None
    meeting_id: int
    date: date
    passed: bool | None
    result: Literal["pass", "fail", "pending"]
    explanation: str
