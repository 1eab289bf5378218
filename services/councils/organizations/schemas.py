from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.councils.common.dates import PartialDate, end_not_before
from services.councils.common.vocab import BodyKind, MemberRole, OrganizationKind
from shared.language import ValueErrorKo

DistrictCodeField = Annotated[str, Field(pattern=r"^\d{5}$", examples=["11380"])]
NameKo = Annotated[str, Field(min_length=1, max_length=300)]
Comparison = Literal["more_than", "at_least"]


class Fraction(BaseModel):
    """A decision threshold: the count must be more than (or at least) numerator/denominator of a base."""

    model_config = ConfigDict(extra="forbid")

    numerator: int = Field(ge=0, le=1000)
    denominator: int = Field(ge=1, le=1000)
    comparison: Comparison

    @model_validator(mode="after")
    def _proper(self) -> Self:
        if self.numerator > self.denominator:
            raise ValueErrorKo("numerator must not exceed denominator", "분자는 분모보다 클 수 없습니다.")
        return self


class DecisionRules(BaseModel):
    """A body's decision rules; the defaults are the regional association's operating rules, 제7조."""

    model_config = ConfigDict(extra="forbid")

    quorum: Fraction = Field(
        default=Fraction(numerator=1, denominator=2, comparison="more_than"),
        description="Members present, of members enrolled on the meeting date (재적 과반수 출석).",
    )
    passing: Fraction = Field(
        default=Fraction(numerator=1, denominator=2, comparison="more_than"),
        description="Votes in favour, of members present (출석 과반수 찬성).",
    )
    amendment: Fraction = Field(
        default=Fraction(numerator=2, denominator=3, comparison="at_least"),
        description="Votes in favour of a rule amendment, of members present (3분의 2 찬성).",
    )
    extraordinary_min_requesters: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Fewest members, seated on the meeting date and counted once each, whose request "
        "calls an extraordinary meeting (운영위원 2인 이상의 요구, 제5조③); steering committees default "
        "to 2; `null`: no requester rule. Kept as it is when a change of `rules` does not name it.",
    )


class BodyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    classification: BodyKind
    name_ko: NameKo = Field(examples=["협치서울지역협의회 운영위원회"])
    name_en: str | None = Field(default=None, max_length=300)
    district_code: DistrictCodeField | None = Field(
        default=None, description="The district the body belongs to; none for a city-level body."
    )
    parent_id: int | None = Field(default=None, ge=1, description="The body this one sits under.")
    policy_fields: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50, examples=[["마을", "교육", "사회적경제"]]
    )
    founding_date: PartialDate | None = None
    dissolution_date: PartialDate | None = None
    rules: DecisionRules = Field(default_factory=DecisionRules)
    member_cap: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="Most seats at any date; steering committees default to 10.",
    )
    eligibility_role: MemberRole | None = Field(
        default=None,
        description="Every member must hold this role elsewhere over the whole membership; "
        "steering committees default to `communication_lead`.",
    )
    note: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=1000, examples=["seed 004"])

    _dissolution_after_founding = field_validator("dissolution_date")(end_not_before("founding_date"))


class BodyUpdate(BaseModel):
    """Fields to change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name_ko: NameKo | None = None
    name_en: str | None = Field(default=None, max_length=300)
    parent_id: int | None = Field(default=None, ge=1)
    policy_fields: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=50
    )
    founding_date: PartialDate | None = None
    dissolution_date: PartialDate | None = None
    rules: DecisionRules | None = None
    member_cap: int | None = Field(default=None, ge=1, le=10_000)
    eligibility_role: MemberRole | None = None
    note: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=1000)


class BodyOut(BaseModel):
    id: int
    classification: BodyKind
    name_ko: str
    name_en: str | None
    district_code: str | None
    parent_id: int | None
    policy_fields: list[str]
    founding_date: str | None
    dissolution_date: str | None
    rules: DecisionRules
    member_cap: int | None
    eligibility_role: MemberRole | None
    note: str | None
    source: str | None
    created_at: datetime
    updated_at: datetime


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    classification: OrganizationKind
    name_ko: NameKo = Field(examples=["(사)은평상상"])
    name_en: str | None = Field(default=None, max_length=300)
    district_code: DistrictCodeField | None = None
    parent_id: int | None = Field(default=None, ge=1)
    founding_date: PartialDate | None = None
    dissolution_date: PartialDate | None = None
    note: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=1000)

    _dissolution_after_founding = field_validator("dissolution_date")(end_not_before("founding_date"))


class OrganizationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_ko: NameKo | None = None
    name_en: str | None = Field(default=None, max_length=300)
    founding_date: PartialDate | None = None
    dissolution_date: PartialDate | None = None
    note: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=1000)


class OrganizationOut(BaseModel):
    id: int
    classification: OrganizationKind
    name_ko: str
    name_en: str | None
    district_code: str | None
    parent_id: int | None
    founding_date: str | None
    dissolution_date: str | None
    note: str | None
    source: str | None
    created_at: datetime
    updated_at: datetime


class PostCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: NameKo = Field(examples=["은평구 소통책임자"])
    role: MemberRole
    district_code: DistrictCodeField | None = None
    seats: int | None = Field(default=None, ge=1, le=1000)


class PostOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organization_id: int
    label: str
    role: MemberRole
    district_code: str | None
    seats: int | None
