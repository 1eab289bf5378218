"""The per-cycle data version (migration 0009): every committed write of what a cycle's comparison and
aggregation read bumps that cycle's version once, and only that cycle's; kept answers equal fresh ones.

Committed for real (the `committing` app and its own pool, on the committed database): the version is
bumped at commit.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.evaluation.comparison import service as comparison
from services.evaluation.cycle_aggregation import service as aggregation
from shared.settings import async_url
from tests.conftest import Database
from tests.evaluation.conftest import Evaluation
from tests.evaluation.results_helpers import SHEETS, Scored, add_members, panel, score, scored_target

VERSION = "SELECT coalesce((SELECT version FROM evaluation.cycle_data_versions WHERE cycle_id = :cycle), 0)"

# A write of each table the comparison and the aggregation read (several rows at once where it can).
WRITES = {
    "targets": "UPDATE evaluation.targets SET district_code = district_code WHERE cycle_id = :cycle",
    "indicators": "UPDATE evaluation.indicators SET name_ko = name_ko || '.' WHERE id = :draft_indicator",
    "rubric_scales": "UPDATE evaluation.rubric_scales SET name_ko = name_ko || '.' WHERE id = :scale",
    "rubric_levels": "INSERT INTO evaluation.rubric_levels (scale_id, position, label_ko, value)"
    " VALUES (:scale, 7, '추가 단계', 0)",
    "self_scores": "INSERT INTO evaluation.self_scores (target_id, indicator_id, value, recorded_by)"
    " VALUES (:target, :unit, 8, 'test')",
    "panel_members": "UPDATE evaluation.panel_members SET name_ko = name_ko WHERE cycle_id = :cycle",
    "scores": "INSERT INTO evaluation.scores (target_id, indicator_id, panel_member_id, version, points,"
    " status) VALUES (:target, :unit, :new_member, 1, 10, 'draft')",
    "recusals": "INSERT INTO evaluation.recusals (panel_member_id, target_id, ground, status, reason,"
    " requested_by) VALUES (:member, :target, 'withdrawal', 'upheld', '이해관계가 있습니다', 'test')",
    "result_settings": "INSERT INTO evaluation.result_settings (cycle_id, aggregation_method, min_panel_size,"
    " updated_by) VALUES (:cycle, 'mean', 1, 'test')",
}


@pytest.fixture
async def engine(committed_database: Database) -> AsyncIterator[AsyncEngine]:
    made = create_async_engine(async_url(committed_database.service_urls["evaluation"]))
    yield made
    await made.dispose()


async def _sql(engine: AsyncEngine, statement: str, **params: Any) -> Any:
    async with engine.begin() as conn:
        result = await conn.execute(text(statement), params)
        return result.scalar() if result.returns_rows else None


async def _version(engine: AsyncEngine, cycle_id: int) -> int:
    return int(await _sql(engine, VERSION, cycle=cycle_id))


async def _scored(api: Evaluation, engine: AsyncEngine) -> tuple[Scored, dict[str, Any]]:
    """An open target scored by five raters, and a target still being set up (its indicator can change)."""
    scored = await scored_target(api)
    async with engine.begin() as conn:
        await panel(conn, scored, SHEETS)
    draft = await api.target(scored.cycle_id)
    return scored, await api.specific(draft["id"], 40)


async def test_a_write_of_each_read_table_bumps_its_cycle_once_and_no_other(
    committing: Evaluation, engine: AsyncEngine
) -> None:
    scored, draft_indicator = await _scored(committing, engine)
    other, _ = await _scored(committing, engine)
    others = await _version(engine, other.cycle_id)
    params = {
        "cycle": scored.cycle_id,
        "target": scored.id,
        "unit": scored.unit["id"],
        "scale": scored.quality["rubric_id"],
        "draft_indicator": draft_indicator["id"],
        "member": scored.members[0],
    }
    async with engine.begin() as conn:
        (params["new_member"],) = await add_members(conn, scored, 1)
    for table, statement in WRITES.items():
        before = await _version(engine, scored.cycle_id)
        await _sql(engine, statement, **{k: v for k, v in params.items() if f":{k}" in statement})
        assert await _version(engine, scored.cycle_id) == before + 1, table
    assert await _version(engine, other.cycle_id) == others
    before = await _version(engine, scored.cycle_id)
    async with engine.begin() as conn:  # a rolled-back write leaves the version alone
        await conn.execute(text(WRITES["targets"]), {"cycle": scored.cycle_id})
        await conn.rollback()
    assert await _version(engine, scored.cycle_id) == before


async def test_racing_writers_of_one_cycle_each_bump_it(committing: Evaluation, engine: AsyncEngine) -> None:
    scored, _ = await _scored(committing, engine)
    before = await _version(engine, scored.cycle_id)

    async def sheet(member: int) -> None:
        async with engine.begin() as conn:
            await score(conn, scored, member, "30", 3)

    async with engine.begin() as conn:
        members = await add_members(conn, scored, 4)
    await asyncio.gather(*(sheet(member) for member in members))
    assert await _version(engine, scored.cycle_id) == before + 1 + len(members)


async def test_a_kept_answer_equals_a_fresh_one_and_a_change_is_seen_at_once(
    committing: Evaluation, engine: AsyncEngine
) -> None:
    scored, _ = await _scored(committing, engine)
    other, _ = await _scored(committing, engine)
    urls = {
        "aggregation": f"/evaluation/cycles/{scored.cycle_id}/aggregation",
        "comparison": f"/evaluation/cycles/{scored.cycle_id}/comparison",
    }
    kept = {name: await committing.ok("GET", url) for name, url in urls.items()}
    version = await _version(engine, scored.cycle_id)
    assert aggregation.ANSWERS.get((scored.cycle_id, None), version) is not None
    assert comparison.ANSWERS.get((scored.cycle_id, None), version) is not None
    await _sql(engine, WRITES["targets"], cycle=other.cycle_id)  # another cycle's change keeps these answers
    assert await _version(engine, scored.cycle_id) == version
    assert {name: await committing.ok("GET", url) for name, url in urls.items()} == kept
    assert aggregation.ANSWERS.get((scored.cycle_id, None), version) is not None
    async with engine.begin() as conn:  # a sixth rater's sheet: the trimmed mean changes
        (member,) = await add_members(conn, scored, 1)
        await score(conn, scored, member, "55", 1)
    changed = {name: await committing.ok("GET", url) for name, url in urls.items()}
    assert changed["aggregation"]["targets"][0]["total"] != kept["aggregation"]["targets"][0]["total"]
    assert changed["comparison"] != kept["comparison"]
    aggregation.ANSWERS.clear()
    comparison.ANSWERS.clear()
    assert {name: await committing.ok("GET", url) for name, url in urls.items()} == changed
