"""Building a scored target for the results tests: panel members and submitted scores written as SQL.

The panel and scoring endpoints belong to another package (eval-panel); these tests need only their tables,
whose rules (score_guard: active member, current version, points range, rubric) still apply to these rows.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.evaluation.conftest import Evaluation

BANDS = [
    {"min_total": "90", "category": "continue_with_increase"},
    {"min_total": "70", "category": "continue"},
    {"min_total": "60", "category": "reduce"},
    {"min_total": "0", "category": "stop"},
]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# Round 1 of seed 004: notification 9/12–9/22, appeal, re-review and confirmation 9/23–9/28 (Seoul dates).
NOTIFY_DAY = utc(2017, 9, 15, 3, 0)
APPEAL_DAY = utc(2017, 9, 25, 3, 0)


@dataclass
class Scored:
    """An open round-1 target: a quantitative common indicator (60 points) and a qualitative one (40)."""

    cycle_id: int
    target: dict[str, Any]
    unit: dict[str, Any]
    quality: dict[str, Any]
    levels: dict[int, int]  # rubric position → level id (6 = N/A)
    members: list[int] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.target["id"])


async def scored_target(api: Evaluation, year: int = 2017) -> Scored:
    cycle_id = await api.cycle(year)
    await api.schedule(cycle_id, 1)
    target = await api.target(cycle_id)
    rubric = await api.rubric(cycle_id)
    unit = await api.common(cycle_id, 60, baseline=4, target=12)
    quality = await api.specific(target["id"], 40, measure="qualitative", rubric_id=rubric["id"])
    assert (await api.open_target(target["id"])).status_code == 200
    return Scored(cycle_id, target, unit, quality, {})


async def load_levels(conn: AsyncConnection, scored: Scored) -> None:
    rows = await conn.execute(
        text("SELECT position, id FROM evaluation.rubric_levels WHERE scale_id = :id"),
        {"id": scored.quality["rubric_id"]},
    )
    scored.levels = {position: level_id for position, level_id in rows.all()}


async def add_members(conn: AsyncConnection, scored: Scored, n: int, round: int = 1) -> list[int]:
    ids = []
    for _ in range(n):
        number = len(scored.members) + len(ids) + 1
        row = await conn.execute(
            text(
                "INSERT INTO evaluation.panel_members"
                " (cycle_id, round, subject, name_ko, rater_type, created_by)"
                " VALUES (:cycle, :round, :subject, :name, :type, 'city-officer-1') RETURNING id"
            ),
            {
                "cycle": scored.cycle_id,
                "round": round,
                "subject": f"rater-{scored.cycle_id}-{number}",
                "name": f"평가위원 {number}",
                "type": "official" if number % 2 else "expert",
            },
        )
        ids.append(row.scalar_one())
    scored.members += ids
    return ids


async def score(
    conn: AsyncConnection, scored: Scored, member: int, points: str, level: int, version: int = 1
) -> None:
    """One rater's submitted sheet: points of the unit indicator (0–60), a rubric position (1–5, 6 = N/A)."""
    if not scored.levels:
        await load_levels(conn, scored)
    statement = text(
        "INSERT INTO evaluation.scores (target_id, indicator_id, panel_member_id, version, points,"
        " rubric_level_id, status)"
        " VALUES (:target, :indicator, :member, :version, :points, :level, 'submitted')"
    )
    base = {"target": scored.id, "member": member, "version": version}
    await conn.execute(statement, {**base, "indicator": scored.unit["id"], "points": points, "level": None})
    await conn.execute(
        statement, {**base, "indicator": scored.quality["id"], "points": None, "level": scored.levels[level]}
    )


async def panel(
    conn: AsyncConnection, scored: Scored, sheets: Sequence[tuple[str, int]], version: int = 1
) -> list[int]:
    """Add one rater per sheet (unit points, rubric position) and submit it."""
    members = await add_members(conn, scored, len(sheets))
    for member, (points, level) in zip(members, sheets, strict=True):
        await score(conn, scored, member, points, level, version)
    return members


AgencyAuth = Callable[[int], dict[str, str]]
# 5 raters: unit points out of 60, rubric positions (1 = 매우 우수 … 6 = 해당 없음); total 236/3 = 78.67.
SHEETS = [("50", 1), ("47", 2), ("43", 2), ("60", 6), ("30", 3)]
