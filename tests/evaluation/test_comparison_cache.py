"""The cycle comparison kept by data version: reused while nothing changed, recomputed once anything has,
whichever transaction committed it and in whatever order its history ids were taken."""

import pytest

from services.evaluation.comparison.cache import DataVersion, VersionedCache
from services.evaluation.comparison.service import ANSWERS
from tests.evaluation.test_comparison import World, _cycle
from tests.evaluation.test_comparison import world as world  # the fixture


def test_an_answer_is_kept_only_if_the_version_did_not_move_during_its_reads() -> None:
    cache: VersionedCache[str] = VersionedCache(size=2)
    seven, eight = DataVersion(7, 70), DataVersion(8, 70)  # a smaller id committing late: one row more
    assert not cache.keep("c", seven, eight, "a")
    assert cache.get("c", seven) is None
    assert cache.keep("c", seven, seven, "a")
    assert cache.get("c", DataVersion(7, 70)) == "a"
    assert cache.get("c", eight) is None and cache.get("d", seven) is None
    cache.keep("d", seven, seven, "b")
    cache.keep("e", seven, seven, "c")  # the least recently used ("c") goes
    assert cache.get("c", seven) is None and cache.get("e", seven) == "c"


async def _read(world: World, cycle_id: int) -> dict[str, object]:
    response = await world.api.client.get(
        f"/evaluation/cycles/{cycle_id}/comparison?round=1", headers=world.api.city
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def _version(world: World) -> DataVersion:
    rows = await world.sql("SELECT count(*) FROM evaluation.history")
    return DataVersion(rows, await world.sql("SELECT max(id) FROM evaluation.history"))


async def test_an_unchanged_cycle_reuses_its_answer_and_a_new_score_is_seen_at_once(world: World) -> None:
    cycle = await _cycle(world)
    first = await _read(world, cycle.id)
    assert ANSWERS.get((cycle.id, 1), await _version(world)) is not None
    assert await _read(world, cycle.id) == first
    # a third official scores target 1's common indicator: 30, 34 and now 20 (mean 32 → 28)
    member = await world.member(cycle.id, "official-3", "최공무", "official")
    await world.score(cycle.targets[0]["id"], cycle.unit["id"], member, points=20)
    changed = await _read(world, cycle.id)
    before, after = (body["targets"][0]["totals"]["official"] for body in (first, changed))  # type: ignore[index]
    assert (before["points"], after["points"]) == ("86.0000", "82.0000")  # 32 → 28 on the common one


async def test_a_history_row_below_the_largest_id_is_a_new_version(world: World) -> None:
    """History ids are taken before commit: a change committed late may carry an id below the largest seen."""
    cycle = await _cycle(world)
    first = await _read(world, cycle.id)
    kept = await _version(world)
    await world.sql(
        "INSERT INTO evaluation.history (id, table_name, action, actor)"
        " OVERRIDING SYSTEM VALUE VALUES (-1, 'late', 'insert', 'test')"
    )
    now = await _version(world)
    assert (now.history_id, now.history_rows) == (kept.history_id, kept.history_rows + 1)
    assert ANSWERS.get((cycle.id, 1), now) is None
    assert await _read(world, cycle.id) == first  # recomputed: the row changed nothing it reads
    assert ANSWERS.get((cycle.id, 1), now) is not None


@pytest.mark.parametrize("round_", [None, 1])
async def test_each_round_filter_keeps_its_own_answer(world: World, round_: int | None) -> None:
    cycle = await _cycle(world)
    query = "" if round_ is None else f"?round={round_}"
    url = f"/evaluation/cycles/{cycle.id}/comparison{query}"
    first = (await world.api.client.get(url, headers=world.api.city)).json()
    assert first["round"] == round_
    assert ANSWERS.get((cycle.id, round_), await _version(world)) is not None
    assert (await world.api.client.get(url, headers=world.api.city)).json() == first
