"""The cycle comparison kept by the cycle's data version: reused while nothing changed, recomputed once
anything has; a transaction that has written itself reads fresh and keeps nothing (committed cases:
test_cycle_data_version.py)."""

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.comparison.cache import VersionedCache
from services.evaluation.comparison.repository import data_version
from services.evaluation.comparison.service import ANSWERS
from tests.evaluation.test_comparison import World, _cycle
from tests.evaluation.test_comparison import world as world  # the fixture


def test_an_answer_is_kept_only_if_the_version_did_not_move_during_its_reads() -> None:
    cache: VersionedCache[str] = VersionedCache(size=2)
    assert not cache.keep("c", 7, 8, "a")
    assert cache.get("c", 7) is None
    assert cache.keep("c", 7, 7, "a")
    assert cache.get("c", 7) == "a"
    assert cache.get("c", 8) is None and cache.get("d", 7) is None
    cache.keep("d", 7, 7, "b")
    cache.keep("e", 7, 7, "c")  # the least recently used ("c") goes
    assert cache.get("c", 7) is None and cache.get("e", 7) == "c"


def test_a_reader_that_has_written_neither_keeps_nor_reuses() -> None:
    cache: VersionedCache[str] = VersionedCache(size=2)
    assert not cache.keep("c", None, None, "a")
    cache.keep("c", 7, 7, "a")
    assert cache.get("c", None) is None


async def _read(world: World, cycle_id: int, query: str = "?round=1") -> dict[str, object]:
    response = await world.api.client.get(
        f"/evaluation/cycles/{cycle_id}/comparison{query}", headers=world.api.city
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_an_uncommitted_score_is_seen_at_once_and_nothing_is_kept(world: World) -> None:
    """The test's requests share one transaction that has written: the versions are bumped only at commit."""
    cycle = await _cycle(world)
    first = await _read(world, cycle.id)
    assert ANSWERS.get((cycle.id, 1), 0) is None
    # a third official scores target 1's common indicator: 30, 34 and now 20 (mean 32 → 28)
    member = await world.member(cycle.id, "official-3", "최공무", "official")
    await world.score(cycle.targets[0]["id"], cycle.unit["id"], member, points=20)
    changed = await _read(world, cycle.id)
    before, after = (body["targets"][0]["totals"]["official"] for body in (first, changed))  # type: ignore[index]
    assert (before["points"], after["points"]) == ("86.0000", "82.0000")  # 32 → 28 on the common one


async def test_the_data_version_of_a_transaction_that_has_written_is_none(world: World) -> None:
    cycle = await _cycle(world)
    async with AsyncSession(bind=world.conn) as session:
        assert await data_version(session, cycle.id) is None


@pytest.mark.parametrize("round_", [None, 1])
async def test_each_round_filter_answers_its_own_round(world: World, round_: int | None) -> None:
    cycle = await _cycle(world)
    body = await _read(world, cycle.id, "" if round_ is None else f"?round={round_}")
    assert body["round"] == round_
