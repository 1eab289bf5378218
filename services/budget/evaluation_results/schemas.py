from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

RESULT_CONFIRMED = "evaluation.result_confirmed"


class ResultPayload(BaseModel):
    """A confirmed evaluation result as evaluation sends it; fields beyond the target's id are kept."""

    model_config = ConfigDict(extra="allow")

    target_id: int = Field(ge=1, le=2**31 - 1)


class EvaluationResultEvent(BaseModel):
    """One event of evaluation's outbox (shared/outbox.py `OutboxEvent.body`)."""

    model_config = ConfigDict(extra="forbid")

    event_id: UUID
    event_type: Literal["evaluation.result_confirmed"]
    ordering_key: str = Field(min_length=1, max_length=200)
    payload: ResultPayload
    created_at: AwareDatetime

    def payload_dict(self) -> dict[str, Any]:
        return self.payload.model_dump(mode="json")


class EventReceipt(BaseModel):
    event_id: UUID
    duplicate: bool
    """True when this event id had already been received: nothing was applied again."""


class RecordedResult(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: UUID
    target_id: int
    payload: dict[str, Any]
    recorded_at: datetime
