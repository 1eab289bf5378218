"""Races against real PostgreSQL: two appeals of one target, and a confirmation against a recompute."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.auth import mint_token
from shared.settings import CommonSettings, async_url
from tests.conftest import Database, assert_problem
from tests.evaluation.conftest import Evaluation
from tests.evaluation.results_helpers import (
    APPEAL_DAY,
    BANDS,
    NOTIFY_DAY,
    SHEETS,
    Scored,
    add_members,
    panel,
    score,
    scored_target,
)

REASON = {"reason": "재심의를 요청합니다."}


@pytest.fixture
async def engine(committed_database: Database) -> AsyncIterator[AsyncEngine]:
    """Its own pool: panels and scores of the race tests are committed for real, beside `committing`'s."""
    made = create_async_engine(async_url(committed_database.service_urls["evaluation"]))
    yield made
    await made.dispose()


async def _notified(api: Evaluation, engine: AsyncEngine, year: int) -> Scored:
    scored = await scored_target(api, year)
    async with engine.begin() as conn:
        await panel(conn, scored, SHEETS)
    await api.ok("PUT", f"/evaluation/cycles/{scored.cycle_id}/result-settings", json={"bands": BANDS})
    await api.ok("POST", f"/evaluation/targets/{scored.id}/result")
    with time_machine.travel(NOTIFY_DAY, tick=False):
        await api.ok("POST", f"/evaluation/targets/{scored.id}/result/notify")
    return scored


def _agency(settings: CommonSettings, organization_id: int) -> dict[str, str]:
    token = mint_token(
        settings, subject=f"agency-{organization_id}", role="agency", organization_id=organization_id
    )
    return {"Authorization": f"Bearer {token}"}


async def test_two_racing_appeals_leave_one(
    committing: Evaluation, engine: AsyncEngine, settings: CommonSettings
) -> None:
    api = committing
    scored = await _notified(api, engine, 2093)
    url = f"/evaluation/targets/{scored.id}/appeal"
    with time_machine.travel(APPEAL_DAY, tick=False):
        own = _agency(settings, scored.target["organization_id"])
        responses: list[httpx.Response] = await asyncio.gather(
            *[api.client.post(url, json=REASON, headers=own) for _ in range(4)]
        )
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 3}
    for response in responses:
        if response.status_code == 409:
            assert assert_problem(response, 409, "path.target_id")["code"] == "appeal-exists"
    async with engine.connect() as conn:
        count = await conn.execute(
            text("SELECT count(*) FROM evaluation.appeals WHERE target_id = :id"), {"id": scored.id}
        )
        assert count.scalar_one() == 1
        # Past every check in Python, the UNIQUE constraint still refuses a second appeal.
        with pytest.raises(IntegrityError, match="uq_appeals_cycle_id_target_id"):
            await conn.execute(
                text(
                    "INSERT INTO evaluation.appeals (cycle_id, target_id, result_id, reason, created_by)"
                    " SELECT cycle_id, target_id, result_id, 'again', 'x' FROM evaluation.appeals"
                    " WHERE target_id = :id"
                ),
                {"id": scored.id},
            )


async def _re_reviewed(api: Evaluation, engine: AsyncEngine, settings: CommonSettings, year: int) -> Scored:
    """Appealed, re-review opened, version 2 scored by the same five raters and computed (78.67)."""
    scored = await _notified(api, engine, year)
    with time_machine.travel(APPEAL_DAY, tick=False):
        own = _agency(settings, scored.target["organization_id"])
        await api.ok("POST", f"/evaluation/targets/{scored.id}/appeal", json=REASON, headers=own)
        await api.ok("POST", f"/evaluation/targets/{scored.id}/re-review")
    async with engine.begin() as conn:
        for member, (points, level) in zip(scored.members, SHEETS, strict=True):
            await score(conn, scored, member, points, level, version=2)
    await api.ok("POST", f"/evaluation/targets/{scored.id}/result")
    return scored


@pytest.mark.parametrize("year", [2094, 2095, 2096])
async def test_a_confirmation_and_a_racing_recompute_never_change_a_confirmed_result(
    committing: Evaluation, engine: AsyncEngine, settings: CommonSettings, year: int
) -> None:
    api = committing
    scored = await _re_reviewed(api, engine, settings, year)
    # A sixth rater submits: a recompute would now give another total.
    async with engine.begin() as conn:
        (extra,) = await add_members(conn, scored, 1)
        await score(conn, scored, extra, "0", 5, version=2)
    url = f"/evaluation/targets/{scored.id}/result"
    with time_machine.travel(APPEAL_DAY, tick=False):
        confirm, recompute = await asyncio.gather(
            api.client.post(f"{url}/confirm", json={}, headers=api.city),
            api.client.post(url, headers=api.city),
        )
    assert confirm.status_code == 200, confirm.text
    final = await api.ok("GET", url)
    assert final["status"] == "confirmed" and final["total"] == confirm.json()["total"]
    if recompute.status_code == 200:  # the recompute went first: the confirmation took its numbers
        assert recompute.json()["total"] == final["total"] != "236/3"
        assert final["arithmetic"]["indicators"][0]["n"] == 4
    else:  # the confirmation went first: the recompute found it frozen
        assert assert_problem(recompute, 409, "path.target_id")["code"] == "result-frozen"
        assert final["total"] == "236/3"
