"""`GET /evaluation/districts/{code}/latest-results`: what a citizen may see of a district's evaluations — the
latest published result per organisation, never a draft, a notified or a confirmed-but-unpublished one."""

import time_machine
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import assert_problem
from tests.evaluation.conftest import Evaluation
from tests.evaluation.results_helpers import BANDS, NOTIFY_DAY, SHEETS, panel, scored_target, utc


async def test_only_a_published_result_shows_with_its_category(
    scoring: tuple[Evaluation, AsyncConnection],
) -> None:
    api, conn = scoring
    scored = await scored_target(api)
    await panel(conn, scored, SHEETS)
    district = scored.target["district_code"]
    latest = f"/evaluation/districts/{district}/latest-results"
    url = f"/evaluation/targets/{scored.id}/result"

    async def seen() -> list[dict[str, object]]:
        response = await api.client.get(latest)  # anyone: no token
        assert response.status_code == 200, response.text
        items: list[dict[str, object]] = response.json()
        return items

    await api.ok("POST", url)
    assert await seen() == []  # draft
    with time_machine.travel(NOTIFY_DAY, tick=False):
        await api.ok("POST", f"{url}/notify")
    assert await seen() == []  # notified
    await api.ok("PUT", f"/evaluation/cycles/{scored.cycle_id}/result-settings", json={"bands": BANDS})
    with time_machine.travel(utc(2017, 9, 25, 3), tick=False):
        await api.ok("POST", f"{url}/confirm", json={})
    assert await seen() == []  # confirmed, not yet published
    await api.ok("POST", f"{url}/publish")
    [item] = await seen()
    assert item["organization_id"] == scored.target["organization_id"] and item["target_id"] == scored.id
    assert (item["category"], item["category_ko"], item["total_display"]) == (
        "continue",
        "계속 지원",
        "78.67",
    )
    assert item["cycle_id"] == scored.cycle_id and item["year"] == 2017 and item["review_version"] == 1
    other = "11110" if district != "11110" else "11140"
    assert (await api.client.get(f"/evaluation/districts/{other}/latest-results")).json() == []
    assert_problem(await api.client.get("/evaluation/districts/abc/latest-results"), 422, "path.code")
