from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.councils.common.dates import PartialDate
from services.councils.memberships.schemas import Ref


class PlatformCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district_code: str = Field(pattern=r"^\d{5}$", examples=["11380"])
    name_ko: str = Field(min_length=1, max_length=300, examples=["은평구 시민협력플랫폼"])
    consortium_id: int = Field(ge=1, description="The consortium (an organization) that runs the platform.")
    lead_organization_id: int | None = Field(default=None, ge=1)
    started_date: PartialDate | None = Field(default=None, description="Programme start (사업시행일).")
    evaluation_round: Literal[1, 2] | None = Field(
        default=None, description="Performance-evaluation round chosen."
    )
    youth_activists: int | None = Field(default=None, ge=0, le=1000)
    offline_hub: str | None = Field(default=None, max_length=2000, description="개방형 오프라인 거점")
    online_hub: str | None = Field(default=None, max_length=2000, description="개방형 온라인 거점")
    main_activities: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=1000)


class ConsortiumMember(BaseModel):
    organization: Ref
    representatives: list[Ref]


class PlatformOut(BaseModel):
    id: int
    district_code: str
    name_ko: str
    consortium: Ref
    lead_organization_id: int | None
    started_date: str | None
    evaluation_round: int | None
    youth_activists: int | None
    offline_hub: str | None
    online_hub: str | None
    main_activities: str | None
    source: str | None
    members: list[ConsortiumMember] = Field(description="Member organisations with their representatives.")
    managers: list[Ref] = Field(description="책임자")
    assistant_managers: list[Ref] = Field(description="보조책임자")
    created_at: datetime
