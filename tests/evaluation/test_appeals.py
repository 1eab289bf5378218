"""One appeal, the re-review as version 2 (the original stays readable), the confirmation and category."""

from datetime import datetime

import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import assert_problem
from tests.evaluation.conftest import Evaluation
from tests.evaluation.results_helpers import (
    APPEAL_DAY,
    BANDS,
    NOTIFY_DAY,
    SHEETS,
    AgencyAuth,
    Scored,
    add_members,
    panel,
    score,
    scored_target,
    utc,
)

REASON = {"reason": "정량지표 실적 집계에서 3분기 공론장 2회가 빠졌습니다."}


async def notified(
    scoring: tuple[Evaluation, AsyncConnection], bands: list[dict[str, str]] = BANDS
) -> Scored:
    """A target whose first-review result (78.67) was computed and notified; the cycle's bands set."""
    api, conn = scoring
    scored = await scored_target(api)
    await panel(conn, scored, SHEETS)
    await api.ok("PUT", f"/evaluation/cycles/{scored.cycle_id}/result-settings", json={"bands": bands})
    await api.ok("POST", f"/evaluation/targets/{scored.id}/result")
    with time_machine.travel(NOTIFY_DAY, tick=False):
        await api.ok("POST", f"/evaluation/targets/{scored.id}/result/notify")
    return scored


# Round 1's appeal window is 2017-09-23 – 09-28 in Seoul.
@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (utc(2017, 9, 22, 14, 59, 59), False),
        (utc(2017, 9, 22, 15, 0, 0), True),
        (utc(2017, 9, 28, 14, 59, 59), True),
        (utc(2017, 9, 28, 15, 0, 0), False),
    ],
)
async def test_appeal_inside_its_window_on_both_sides_of_seoul_midnight(
    scoring: tuple[Evaluation, AsyncConnection], agency: AgencyAuth, moment: datetime, inside: bool
) -> None:
    api, _ = scoring
    scored = await notified(scoring)
    url = f"/evaluation/targets/{scored.id}/appeal"
    with time_machine.travel(moment, tick=False):
        response = await api.client.post(url, json=REASON, headers=agency(scored.target["organization_id"]))
    if inside:
        assert response.status_code == 201, response.text
        assert response.json()["reason"] == REASON["reason"]
        return
    problem = assert_problem(response, 409)
    assert (problem["code"], problem["phase"]) == ("outside-window", "appeal")


async def test_an_agency_appeals_its_own_notified_result_once_with_a_reason(
    scoring: tuple[Evaluation, AsyncConnection], agency: AgencyAuth
) -> None:
    api, _ = scoring
    scored = await scored_target(api)
    await panel(scoring[1], scored, SHEETS)
    await api.ok("POST", f"/evaluation/targets/{scored.id}/result")
    url = f"/evaluation/targets/{scored.id}/appeal"
    org = scored.target["organization_id"]
    with time_machine.travel(APPEAL_DAY, tick=False):
        early = await api.client.post(url, json=REASON, headers=agency(org))
        assert assert_problem(early, 409, "path.target_id")["code"] == "result-status"  # still a draft
    with time_machine.travel(NOTIFY_DAY, tick=False):
        await api.ok("POST", f"/evaluation/targets/{scored.id}/result/notify")
    with time_machine.travel(APPEAL_DAY, tick=False):
        for body in ({}, {"reason": "   "}, {"reason": "x" * 5001}):
            assert_problem(await api.client.post(url, json=body, headers=agency(org)), 422, "body.reason")
        assert_problem(
            await api.client.post(url, json=REASON, headers=agency(org + 1)), 403, "path.target_id"
        )
        assert_problem(await api.client.post(url, json=REASON, headers=api.city), 403)
        made = await api.ok("POST", url, json=REASON, headers=agency(org))
        assert made["created_by"] == f"agency-{org}" and made["re_review_opened_at"] is None
        again = await api.client.post(url, json=REASON, headers={**agency(org), "Accept-Language": "ko"})
        problem = assert_problem(again, 409, "path.target_id")
        assert problem["code"] == "appeal-exists" and "한 번만" in problem["detail"]
        result = await api.ok("GET", f"/evaluation/targets/{scored.id}/result", headers=agency(org))
    assert result["status"] == "appealed" and result["appeal"]["id"] == made["id"]


async def test_the_re_review_is_version_2_and_the_original_stays_readable(
    scoring: tuple[Evaluation, AsyncConnection], agency: AgencyAuth
) -> None:
    api, conn = scoring
    scored = await notified(scoring)
    org = scored.target["organization_id"]
    url = f"/evaluation/targets/{scored.id}"
    with time_machine.travel(APPEAL_DAY, tick=False):
        premature = await api.client.post(f"{url}/re-review", headers=api.city)
        assert assert_problem(premature, 409, "path.target_id")["code"] == "appeal-not-found"
        await api.ok("POST", f"{url}/appeal", json=REASON, headers=agency(org))
        confirm = await api.client.post(f"{url}/result/confirm", json={}, headers=api.city)
        assert assert_problem(confirm, 409)["result_status"] == "appealed"  # re-review first
        opened = await api.ok("POST", f"{url}/re-review")
        assert opened["re_review_opened_by"] == "city-officer-1"
        twice = await api.client.post(f"{url}/re-review", headers=api.city)
        assert assert_problem(twice, 409)["code"] == "appeal-not-found"
    # The panel is re-formed: rater 5 (30 points) is replaced; version 2 starts with no scores.
    empty = assert_problem(await api.client.post(f"{url}/result", headers=api.city), 422)
    assert (empty["code"], empty["n"]) == ("panel-too-small", 0)
    replaced = scored.members[4]
    await conn.execute(
        text("UPDATE evaluation.panel_members SET active = false WHERE id = :id"), {"id": replaced}
    )
    (new,) = await add_members(conn, scored, 1)
    await conn.execute(
        text(
            "UPDATE evaluation.panel_members SET replaced_member_id = :old, replaced_reason = :why"
            " WHERE id = :id"
        ),
        {"old": replaced, "why": "재심의 평가단 재구성", "id": new},
    )
    for member, (points, level) in zip([*scored.members[:4], new], [*SHEETS[:4], ("54", 2)], strict=True):
        await score(conn, scored, member, points, level, version=2)
    second = await api.ok("POST", f"{url}/result")
    assert (second["review_version"], second["status"]) == (2, "re_reviewed")
    # unit: 43 and 60 dropped → (50 + 47 + 54) / 3; quality: N/A out, 40 and one 32 dropped → 32.
    assert second["total"] == "247/3" and second["total_display"] == "82.33"
    first = await api.ok("GET", f"{url}/result?version=1")
    assert (first["status"], first["total"]) == ("appealed", "236/3")
    # The agency sees its appealed original until the re-review's result is confirmed.
    assert (await api.ok("GET", f"{url}/result", headers=agency(org)))["review_version"] == 1
    with time_machine.travel(APPEAL_DAY, tick=False):
        no_reason = await api.client.post(
            f"{url}/result/confirm", json={"category": "continue"}, headers=api.city
        )
        assert_problem(no_reason, 422, "body.reason")
        confirmed = await api.ok(
            "POST", f"{url}/result/confirm", json={"category": "continue", "reason": "재심의 결과 반영"}
        )
    assert (confirmed["category"], confirmed["category_source"]) == ("continue", "manual")
    assert (
        confirmed["category_reason"] == "재심의 결과 반영" and confirmed["confirmed_by"] == "city-officer-1"
    )
    frozen = assert_problem(await api.client.post(f"{url}/result", headers=api.city), 409)
    assert frozen["code"] == "result-frozen"
    settings = await api.client.put(
        f"/evaluation/cycles/{scored.cycle_id}/result-settings", json={"bands": BANDS}, headers=api.city
    )
    assert assert_problem(settings, 409, "path.cycle_id")["code"] == "result-settings-frozen"
    assert (await api.ok("GET", f"{url}/result", headers=agency(org)))["review_version"] == 2
    await api.ok("POST", f"{url}/result/publish")
    public = await api.client.get(f"{url}/result")
    assert public.status_code == 200 and public.json()["total_display"] == "82.33"
    assert_problem(await api.client.get(f"{url}/result?version=1"), 404, "query.version")


# Round 1's confirmation window is 2017-09-23 – 09-28 in Seoul.
@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (utc(2017, 9, 22, 14, 59, 59), False),
        (utc(2017, 9, 22, 15, 0, 0), True),
        (utc(2017, 9, 28, 14, 59, 59), True),
        (utc(2017, 9, 28, 15, 0, 0), False),
    ],
)
async def test_confirmation_inside_its_window_on_both_sides_of_seoul_midnight(
    scoring: tuple[Evaluation, AsyncConnection], moment: datetime, inside: bool
) -> None:
    api, _ = scoring
    scored = await notified(scoring)
    with time_machine.travel(moment, tick=False):
        response = await api.client.post(
            f"/evaluation/targets/{scored.id}/result/confirm", json={}, headers=api.city
        )
    if inside:
        assert response.status_code == 200, response.text
        return
    problem = assert_problem(response, 409)
    assert (problem["code"], problem["phase"], problem["starts_on"]) == (
        "outside-window",
        "confirmation",
        "2017-09-23",
    )


# The total is 236/3 = 78.666…, shown as 78.67: a band starting at 78.67 does not take it.
@pytest.mark.parametrize(
    ("minimum", "category"),
    [("78.66", "continue_with_increase"), ("78.67", "stop"), ("78.68", "stop")],
)
async def test_the_category_is_decided_on_the_exact_total(
    scoring: tuple[Evaluation, AsyncConnection], minimum: str, category: str
) -> None:
    api, _ = scoring
    bands = [
        {"min_total": minimum, "category": "continue_with_increase"},
        {"min_total": "0", "category": "stop"},
    ]
    scored = await notified(scoring, bands)
    with time_machine.travel(APPEAL_DAY, tick=False):
        confirmed = await api.ok("POST", f"/evaluation/targets/{scored.id}/result/confirm", json={})
    assert (confirmed["category"], confirmed["category_source"], confirmed["total_display"]) == (
        category,
        "bands",
        "78.67",
    )


async def test_confirmation_needs_bands_or_a_category_with_its_reason(
    scoring: tuple[Evaluation, AsyncConnection],
) -> None:
    api, conn = scoring
    scored = await notified(scoring)
    await conn.execute(
        text("DELETE FROM evaluation.grade_bands WHERE cycle_id = :id"), {"id": scored.cycle_id}
    )
    url = f"/evaluation/targets/{scored.id}/result/confirm"
    with time_machine.travel(APPEAL_DAY, tick=False):
        missing = assert_problem(await api.client.post(url, json={}, headers=api.city), 409, "body.category")
        assert missing["code"] == "grade-bands-not-set"
        lone = await api.client.post(url, json={"reason": "사유만"}, headers=api.city)
        assert assert_problem(lone, 422, "body.reason")["code"] == "category-reason"
        assert_problem(
            await api.client.post(url, json={"category": "good"}, headers=api.city), 422, "body.category"
        )
        done = await api.ok("POST", url, json={"category": "reduce", "reason": "예산 사정"})
    assert (done["category"], done["category_ko"]) == ("reduce", "감액 지원")
