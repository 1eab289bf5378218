"""Results: computation with the arithmetic shown, settings and bands, notification, reads by role."""

from typing import Any

import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import assert_problem
from tests.evaluation.conftest import Evaluation
from tests.evaluation.results_helpers import (
    BANDS,
    NOTIFY_DAY,
    SHEETS,
    AgencyAuth,
    Scored,
    panel,
    scored_target,
    utc,
)


async def _scored(
    scoring: tuple[Evaluation, AsyncConnection], sheets: list[tuple[str, int]] = SHEETS
) -> Scored:
    api, conn = scoring
    scored = await scored_target(api)
    await panel(conn, scored, sheets)
    return scored


async def test_compute_shows_the_arithmetic_trimmed_mean_by_default_na_excluded(
    scoring: tuple[Evaluation, AsyncConnection],
) -> None:
    api, _ = scoring
    scored = await _scored(scoring)
    result = await api.ok("POST", f"/evaluation/targets/{scored.id}/result")
    assert result["status"] == "draft" and result["review_version"] == 1
    unit, quality = result["arithmetic"]["indicators"]
    # unit: 30 and 60 dropped, (50 + 47 + 43) / 3; quality: 40·5/5 … N/A left out, 24 and 40 dropped.
    assert [s["points"] for s in unit["scores"]] == ["50", "47", "43", "60", "30"]
    assert [s["dropped"] for s in unit["scores"]] == [False, False, False, True, True]
    assert unit["n"] == 3 and unit["mean"] == "140/3" and unit["points_display"] == "46.67"
    assert [s["points"] for s in quality["scores"]] == ["40", "32", "32", None, "24"]
    assert quality["not_applicable"] == [scored.members[3]] and quality["n"] == 2 and quality["mean"] == "32"
    assert result["total"] == "236/3" and result["total_display"] == "78.67"
    assert result["arithmetic"]["method"] == "trimmed_mean" and result["arithmetic"]["min_panel_size"] == 3
    assert result["category"] is None and result["computed_by"] == "city-officer-1"


async def test_a_draft_is_recomputed_from_the_scores_submitted_since(
    scoring: tuple[Evaluation, AsyncConnection],
) -> None:
    api, conn = scoring
    scored = await _scored(scoring)
    first = await api.ok("POST", f"/evaluation/targets/{scored.id}/result")
    await panel(conn, scored, [("60", 1)])
    again = await api.ok("POST", f"/evaluation/targets/{scored.id}/result")
    assert again["id"] == first["id"] and again["total"] != first["total"]
    assert again["arithmetic"]["indicators"][0]["n"] == 4


@pytest.mark.parametrize(
    ("method", "n", "computed"), [("mean", 3, False), ("mean", 4, True), ("median", 5, True)]
)
async def test_minimum_panel_size_at_below_and_above(
    scoring: tuple[Evaluation, AsyncConnection], method: str, n: int, computed: bool
) -> None:
    api, _ = scoring
    scored = await _scored(scoring, [(str(40 + i), 2) for i in range(n)])
    body = {"aggregation_method": method, "min_panel_size": 4, "bands": BANDS}
    await api.ok("PUT", f"/evaluation/cycles/{scored.cycle_id}/result-settings", json=body)
    response = await api.client.post(f"/evaluation/targets/{scored.id}/result", headers=api.city)
    if computed:
        assert response.status_code == 200, response.text
        assert response.json()["arithmetic"]["method"] == method
        return
    problem = assert_problem(response, 422, "path.target_id")
    assert problem["code"] == "panel-too-small" and (problem["n"], problem["minimum"]) == (3, 4)
    assert "3 counted score(s)" in problem["detail"] and "at least 4" in problem["detail"]


async def test_not_applicable_answers_count_against_the_minimum(
    scoring: tuple[Evaluation, AsyncConnection],
) -> None:
    api, _ = scoring
    scored = await _scored(scoring, [("40", 6), ("41", 6), ("42", 1), ("43", 2)])
    problem = assert_problem(
        await api.client.post(f"/evaluation/targets/{scored.id}/result", headers=api.city), 422
    )
    assert (problem["indicator_id"], problem["n"], problem["minimum"]) == (scored.quality["id"], 2, 3)
    ko = await api.client.post(
        f"/evaluation/targets/{scored.id}/result", headers={**api.city, "Accept-Language": "ko"}
    )
    assert "최소 3개" in ko.json()["detail"]


async def test_settings_are_validated_and_read_back(api: Evaluation) -> None:
    cycle_id = await api.cycle()
    url = f"/evaluation/cycles/{cycle_id}/result-settings"
    defaults = await api.ok("GET", url)
    assert defaults["aggregation_method"] == "trimmed_mean" and defaults["min_panel_size"] == 3
    assert defaults["bands"] == [] and defaults["updated_by"] is None
    for body, field in (
        ({"aggregation_method": "trimmed_mean", "min_panel_size": 2, "bands": BANDS}, "body.min_panel_size"),
        ({"bands": BANDS[:3]}, "body.bands"),
        ({"bands": [*BANDS, {"min_total": "90", "category": "continue"}]}, "body.bands"),
        ({"bands": [{"min_total": "100.01", "category": "stop"}]}, "body.bands.0.min_total"),
        ({"bands": BANDS, "aggregation_method": "mode"}, "body.aggregation_method"),
    ):
        assert_problem(await api.client.put(url, json=body, headers=api.city), 422, field)
    saved = await api.ok(
        "PUT", url, json={"aggregation_method": "median", "min_panel_size": 2, "bands": BANDS}
    )
    assert saved["aggregation_method"] == "median" and saved["min_panel_size"] == 2
    assert [b["min_total"] for b in saved["bands"]] == ["90", "70", "60", "0"]
    assert saved["bands"][0]["category_ko"] == "계속 지원(증액)"
    assert_problem(await api.client.put(url, json={"bands": BANDS}, headers=api.auth("evaluator")), 403)
    changed = await api.ok("PUT", url, json={"bands": BANDS[2:]})
    assert changed["aggregation_method"] == "trimmed_mean" and changed["min_panel_size"] == 3
    assert [b["category"] for b in changed["bands"]] == ["reduce", "stop"]
    history = await api.ok("GET", "/evaluation/history?table=result_settings")
    assert [h["action"] for h in history["items"]][-2:] == ["insert", "update"]


async def test_compute_needs_an_open_target_and_a_city_officer(api: Evaluation) -> None:
    target = await api.target(await api.cycle())
    url = f"/evaluation/targets/{target['id']}/result"
    problem = assert_problem(await api.client.post(url, headers=api.city), 409, "path.target_id")
    assert problem["code"] == "target-not-open"
    assert_problem(await api.client.post(url, headers=api.auth("evaluator")), 403)
    assert_problem(await api.client.post("/evaluation/targets/999999/result", headers=api.city), 404)


# Round 1's notification window is 2017-09-12 – 09-22 in Seoul: it opens at 15:00 UTC on the 11th.
@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (utc(2017, 9, 11, 14, 59, 59), False),  # Seoul 9/11 23:59:59
        (utc(2017, 9, 11, 15, 0, 0), True),  # Seoul 9/12 00:00, UTC still the 11th
        (utc(2017, 9, 11, 23, 59, 59), True),  # UTC's 11th ends; Seoul 9/12 08:59
        (utc(2017, 9, 22, 14, 59, 59), True),  # Seoul 9/22 23:59:59
        (utc(2017, 9, 22, 15, 0, 0), False),  # Seoul 9/23 00:00, UTC still the 22nd
        (utc(2017, 9, 23, 0, 0, 0), False),
    ],
)
async def test_notification_inside_its_window_on_both_sides_of_seoul_midnight(
    scoring: tuple[Evaluation, AsyncConnection], moment: Any, inside: bool
) -> None:
    api, _ = scoring
    scored = await _scored(scoring)
    await api.ok("POST", f"/evaluation/targets/{scored.id}/result")
    with time_machine.travel(moment, tick=False):
        response = await api.client.post(f"/evaluation/targets/{scored.id}/result/notify", headers=api.city)
    if inside:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "notified"
        return
    problem = assert_problem(response, 409)
    assert problem["code"] == "outside-window" and problem["phase"] == "notification"
    assert (problem["starts_on"], problem["ends_on"]) == ("2017-09-12", "2017-09-22")


async def test_a_notified_result_is_no_longer_recomputed_and_notified_once(
    scoring: tuple[Evaluation, AsyncConnection],
) -> None:
    api, _ = scoring
    scored = await _scored(scoring)
    await api.ok("POST", f"/evaluation/targets/{scored.id}/result")
    with time_machine.travel(NOTIFY_DAY, tick=False):
        await api.ok("POST", f"/evaluation/targets/{scored.id}/result/notify")
        again = await api.client.post(f"/evaluation/targets/{scored.id}/result/notify", headers=api.city)
        assert assert_problem(again, 409, "path.target_id")["code"] == "result-status"
    problem = assert_problem(
        await api.client.post(f"/evaluation/targets/{scored.id}/result", headers=api.city), 409
    )
    assert problem["code"] == "result-frozen" and problem["result_status"] == "notified"


async def test_who_reads_a_result_when(
    scoring: tuple[Evaluation, AsyncConnection], agency: AgencyAuth
) -> None:
    api, _ = scoring
    scored = await _scored(scoring)
    url = f"/evaluation/targets/{scored.id}/result"
    org = scored.target["organization_id"]
    own, other, citizen = agency(org), agency(org + 1), api.auth("citizen")
    assert_problem(await api.client.get(url, headers=api.auth("auditor")), 404)  # nothing computed yet
    await api.ok("POST", url)
    assert (await api.client.get(url, headers=api.auth("auditor"))).json()["status"] == "draft"
    for headers in (own, citizen, {}):
        assert assert_problem(await api.client.get(url, headers=headers), 404)["code"] == "result-not-found"
    assert_problem(await api.client.get(url, headers=other), 403, "path.target_id")
    with time_machine.travel(NOTIFY_DAY, tick=False):
        await api.ok("POST", f"{url}/notify")
        assert (await api.client.get(url, headers=agency(org))).json()["status"] == "notified"
    for headers in (citizen, {}):
        assert_problem(await api.client.get(url, headers=headers), 404)
    await api.ok("PUT", f"/evaluation/cycles/{scored.cycle_id}/result-settings", json={"bands": BANDS})
    with time_machine.travel(utc(2017, 9, 25, 3), tick=False):
        confirmed = await api.ok("POST", f"{url}/confirm", json={})
    assert (confirmed["category"], confirmed["category_source"]) == ("continue", "bands")  # 78.67 ≥ 70
    for headers in (citizen, {}):
        assert_problem(await api.client.get(url, headers=headers), 404)
    published = await api.ok("POST", f"{url}/publish")
    assert published["status"] == "published" and published["published_by"] == "city-officer-1"
    for headers in (citizen, {}, own):
        assert (await api.client.get(url, headers=headers)).json()["total_display"] == "78.67"


async def test_every_step_is_in_the_history(scoring: tuple[Evaluation, AsyncConnection]) -> None:
    api, conn = scoring
    scored = await _scored(scoring)
    result = await api.ok("POST", f"/evaluation/targets/{scored.id}/result")
    with time_machine.travel(NOTIFY_DAY, tick=False):
        await api.ok("POST", f"/evaluation/targets/{scored.id}/result/notify")
    history = await api.ok("GET", f"/evaluation/history?table=results&record_id={result['id']}")
    assert [(h["action"], h["after"]["status"], h["actor"]) for h in history["items"]] == [
        ("insert", "draft", "city-officer-1"),
        ("update", "notified", "city-officer-1"),
    ]
    refused = text("UPDATE evaluation.results SET status = 'published' WHERE id = :id")
    with pytest.raises(Exception, match="cannot go from notified to published"):
        async with conn.begin_nested():
            await conn.execute(refused, {"id": result["id"]})


async def test_a_cycles_results_list_staff_all_others_published(
    scoring: tuple[Evaluation, AsyncConnection], agency: AgencyAuth
) -> None:
    api, _ = scoring
    scored = await _scored(scoring)
    url = f"/evaluation/cycles/{scored.cycle_id}/results"
    result = await api.ok("POST", f"/evaluation/targets/{scored.id}/result")
    listed = await api.ok("GET", url, headers=api.auth("auditor"))
    assert [r["id"] for r in listed["items"]] == [result["id"]]
    for headers in ({}, api.auth("citizen"), agency(scored.target["organization_id"])):
        assert (await api.client.get(url, headers=headers)).json()["items"] == []
    assert_problem(await api.client.get("/evaluation/cycles/999999/results"), 404)
