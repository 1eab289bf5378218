from typing import Literal

from pydantic import Field

from shared.history import HistoryEntry

Table = Literal[
    "funding_types",
    "programme_nodes",
    "district_funding",
    "grant_policies",
    "grant_phases",
    "grants",
    "evaluation_results",
]


class HistoryEntryOut(HistoryEntry):
    table_name: str = Field(examples=["grants"])
