from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.evaluation.common import SeoulDatetime


class StuckEventOut(BaseModel):
    """An event for another service that has not been acknowledged yet, and why."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The event id; the receiver's Idempotency-Key and inbox key.")
    seq: int
    destination: str = Field(examples=["budget"])
    ordering_key: str = Field(examples=["target:12"], description="Events of one key are delivered in order.")
    event_type: str = Field(examples=["evaluation.result_confirmed"])
    status: str = Field(
        examples=["pending"],
        description="pending (being sent or retried), delivered, or dead (refused for good).",
    )
    attempts: int
    last_error: str | None
    created_at: SeoulDatetime
    last_attempt_at: SeoulDatetime | None
    next_attempt_at: SeoulDatetime
    dead_reason: str | None = Field(description="Why the receiver refused it for good (dead events only).")
    dead_at: SeoulDatetime | None
