from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_subject: str
    actor_role: str
    entity_type: str = Field(examples=["membership"])
    entity_id: str
    action: str = Field(examples=["create", "update", "delete"])
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
