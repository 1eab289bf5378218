from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.evaluation.common import SeoulDatetime

Table = Literal[
    "cycles",
    "targets",
    "rounds",
    "phase_windows",
    "window_extensions",
    "rubric_scales",
    "rubric_levels",
    "indicators",
    "measurements",
    "reports",
    "self_scores",
    "panel_members",
    "panel_member_ties",
    "recusals",
    "scores",
    "result_settings",
    "grade_bands",
    "results",
    "appeals",
    "outbox_events",
]


class HistoryEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: SeoulDatetime
    table_name: str = Field(examples=["indicators"])
    record_id: str | None
    action: Literal["insert", "update", "delete"]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor: str
    actor_role: str | None
    reason: str | None
