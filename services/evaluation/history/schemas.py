from typing import Literal

from pydantic import Field

from shared.history import HistoryEntry

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


class HistoryEntryOut(HistoryEntry):
    table_name: str = Field(examples=["indicators"])
