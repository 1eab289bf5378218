"""Grants: the Community Innovation Plan's two phases, the Civic Cooperation Platform's years, matching
shares, application windows in Seoul time, awards within the district's cap (also under a race)."""

import asyncio
from datetime import UTC, date, datetime
from uuid import uuid4

import httpx
import pytest

from tests.budget.conftest import DISTRICT, Auth, Budget
from tests.budget.money import (
    M,
    application,
    apply,
    assign,
    awarded_platform,
    innovation_policy,
    platform_policy,
    set_policy,
)
from tests.clock import EDGES, Clock
from tests.conftest import assert_problem


@pytest.fixture
def api(pinned: Clock, budget: httpx.AsyncClient, auth: Auth) -> Budget:
    """Tokens minted on the pinned clock (valid at the pinned time)."""
    return Budget(budget, auth)


@pytest.fixture
async def setup(api: Budget) -> Budget:
    """2017 policies; 종로구 separate (500 M + 300 M innovation plan); Seoul clock at 2017-06-30 23:59:59."""
    await set_policy(api, 2017, "innovation_plan", innovation_policy())
    await set_policy(api, 2017, "civic_platform", platform_policy(2017))
    await assign(api, "separate")
    return api


async def test_planning_grant_at_most_100_m(setup: Budget) -> None:
    api = setup
    over = await apply(
        api,
        application("innovation_plan", phase="planning", amount_krw=100 * M + 1, district_share_krw=40 * M),
    )
    body = assert_problem(over, 422, "body.amount_krw")
    assert (
        body["code"] == "grant-over-limit"
        and "100,000,000 KRW" in body["detail"]
        and "1 KRW over" in body["detail"]
    )
    missing = await apply(api, application("innovation_plan", phase="planning", district_share_krw=0))
    assert_problem(missing, 422, "body.amount_krw")
    grant = await apply(
        api, application("innovation_plan", phase="planning", amount_krw=100 * M, district_share_krw=30 * M)
    )
    assert grant.status_code == 201, grant.text
    assert grant.json()["city_share_krw"] == 70 * M and grant.json()["status"] == "applied"
    again = await apply(
        api, application("innovation_plan", phase="planning", amount_krw=M, district_share_krw=M)
    )
    assert_problem(again, 409)  # one planning grant per district


async def test_execution_is_300_m_minus_the_planning_grant_actually_paid(setup: Budget) -> None:
    api = setup
    execution = application("innovation_plan", phase="execution", district_share_krw=90 * M)
    early = assert_problem(await apply(api, execution), 422, "body.phase")
    assert early["code"] == "grant-precondition-missing"
    planning = await api.ok(
        "POST",
        "/budget/grants",
        api.officer,
        json=application("innovation_plan", phase="planning", amount_krw=100 * M, district_share_krw=30 * M),
    )
    await api.ok("POST", f"/budget/grants/{planning['id']}/award", api.city)
    assert_problem(await apply(api, execution), 422, "body.phase")  # awarded, not yet paid
    pay = {"paid_krw": 100 * M + 1, "paid_on": "2017-06-20"}
    over = await api.client.post(f"/budget/grants/{planning['id']}/payment", json=pay, headers=api.city)
    assert_problem(over, 422, "body.paid_krw")
    paid = await api.ok(
        "POST",
        f"/budget/grants/{planning['id']}/payment",
        api.city,
        json={"paid_krw": 80 * M, "paid_on": "2017-06-20"},
    )
    assert paid["status"] == "paid" and paid["paid_krw"] == 80 * M
    typed = await apply(api, {**execution, "amount_krw": 220 * M})  # even the right figure is refused
    assert assert_problem(typed, 422, "body.amount_krw")["code"] == "amount-computed"
    grant = await apply(api, execution)
    assert grant.status_code == 201, grant.text
    assert grant.json()["amount_krw"] == 300 * M - 80 * M
    assert grant.json()["city_share_krw"] == 130 * M and grant.json()["district_share_krw"] == 90 * M


async def test_a_general_district_has_no_innovation_plan(setup: Budget) -> None:
    api = setup
    await assign(api, "general")
    response = await apply(
        api, application("innovation_plan", phase="planning", amount_krw=M, district_share_krw=M)
    )
    assert assert_problem(response, 422, "body.district_code")["code"] == "innovation-plan-not-in-type"


async def test_district_share_at_the_required_ratio(setup: Budget) -> None:
    api = setup
    base = application("innovation_plan", phase="planning", amount_krw=100 * M)
    low = await apply(api, {**base, "district_share_krw": 30 * M - 1})  # 29.999999 % of 30 %
    body = assert_problem(low, 422, "body.district_share_krw")
    assert body["code"] == "district-share-too-low" and body["min_district_share_krw"] == 30 * M
    assert "at least 30,000,000 KRW" in body["detail"]
    wrong_sum = await apply(api, {**base, "district_share_krw": 30 * M, "city_share_krw": 70 * M + 1})
    assert_problem(wrong_sum, 422, "body.city_share_krw")
    too_big = await apply(api, {**base, "district_share_krw": 100 * M + 1})
    assert_problem(too_big, 422, "body.district_share_krw")
    exact = await apply(api, {**base, "district_share_krw": 30 * M, "city_share_krw": 70 * M})
    assert exact.status_code == 201, exact.text


async def test_a_ratio_that_does_not_divide_rounds_the_minimum_up(api: Budget) -> None:
    await set_policy(api, 2017, "civic_platform", platform_policy(2017, share_bp=3333))  # 33.33 %
    await assign(api, "general")
    base = application("civic_platform", amount_krw=100)  # 33.33 won: at least 34
    low = await apply(api, {**base, "district_share_krw": 33})
    assert assert_problem(low, 422, "body.district_share_krw")["min_district_share_krw"] == 34
    assert (await apply(api, {**base, "district_share_krw": 34})).status_code == 201


async def test_officers_apply_for_their_own_district_only(setup: Budget) -> None:
    api = setup
    body = application("civic_platform", amount_krw=M, district_share_krw=0)
    other = await apply(api, {**body, "district_code": "11140"})
    assert assert_problem(other, 403, "body.district_code")["code"] == "other-district"
    korean = await apply(api, {**body, "district_code": "11140"}, {**api.officer, "Accept-Language": "ko"})
    assert korean.json()["title"] == "다른 자치구의 기록"
    assert_problem(await apply(api, body, api.citizen), 403)
    assert_problem(await api.client.post("/budget/grants", json=body), 401)
    grant = (await apply(api, body)).json()
    assert_problem(await api.client.post(f"/budget/grants/{grant['id']}/award", headers=api.officer), 403)
    assert_problem(await api.client.get(f"/budget/grants/{grant['id']}", headers=api.citizen), 403)
    assert (
        await api.client.get(f"/budget/grants/{grant['id']}", headers=api.auth("auditor"))
    ).status_code == 200
    listed = await api.ok("GET", "/budget/grants", api.auth("auditor"), params={"district_code": DISTRICT})
    assert [g["id"] for g in listed["items"]] == [grant["id"]]


async def test_a_platform_grant_is_at_most_100_m_a_year(setup: Budget) -> None:
    api = setup
    over = await apply(api, application("civic_platform", amount_krw=100 * M + 1, district_share_krw=0))
    assert_problem(over, 422, "body.amount_krw")
    grant = await api.ok(
        "POST",
        "/budget/grants",
        api.officer,
        json=application("civic_platform", amount_krw=100 * M, district_share_krw=0),
    )
    assert grant["platform_year"] == 1 and grant["phase"] == "operation"
    await api.ok("POST", f"/budget/grants/{grant['id']}/award", api.city)
    again = await api.client.post(f"/budget/grants/{grant['id']}/award", headers=api.city)
    assert assert_problem(again, 409, "path.grant_id")["code"] == "invalid-transition"
    unpaid = await api.client.post(f"/budget/grants/{grant['id'] + 1000}/award", headers=api.city)
    assert_problem(unpaid, 404, "path.grant_id")


async def _evaluate(api: Budget, grant: dict[str, object], category: str) -> None:
    body = {
        "event_id": str(uuid4()),
        "grant_id": grant["id"],
        "cycle_year": grant["fiscal_year"],
        "category": category,
        "confirmed_at": "2017-10-28T18:00:00+09:00",
    }
    await api.ok("POST", "/budget/evaluation-results", api.city, json=body)


@pytest.mark.parametrize(
    ("category", "expected"),
    [("increase", 36_666_666), ("reduce", 26_666_666), ("continue", 33_333_333)],  # rounded down to the won
)
async def test_a_further_year_follows_the_evaluation(setup: Budget, category: str, expected: int) -> None:
    api = setup
    await set_policy(api, 2018, "civic_platform", platform_policy(2018))
    await assign(api, "separate", year=2018)
    first = await awarded_platform(api, 33_333_333)
    further = application(
        "civic_platform", fiscal_year=2018, previous_grant_id=first["id"], district_share_krw=0
    )
    missing = await apply(api, further)
    assert assert_problem(missing, 422, "body.previous_grant_id")["code"] == "grant-precondition-missing"
    await _evaluate(api, first, category)
    typed = await apply(api, {**further, "amount_krw": expected})
    assert assert_problem(typed, 422, "body.amount_krw")["code"] == "amount-computed"
    second = await apply(api, further)
    assert second.status_code == 201, second.text
    assert second.json()["amount_krw"] == expected and second.json()["platform_year"] == 2


async def test_an_increase_never_passes_the_yearly_maximum(setup: Budget) -> None:
    api = setup
    await set_policy(api, 2018, "civic_platform", platform_policy(2018))
    await assign(api, "separate", year=2018)
    first = await awarded_platform(api, 95 * M)
    await _evaluate(api, first, "increase")  # 104.5 M → 100 M
    body = application(
        "civic_platform", fiscal_year=2018, previous_grant_id=first["id"], district_share_krw=0
    )
    assert (await api.ok("POST", "/budget/grants", api.officer, json=body))["amount_krw"] == 100 * M


async def test_stop_ends_a_platform_and_three_years_are_the_most(setup: Budget) -> None:
    api = setup
    for year in (2018, 2019, 2020):
        await set_policy(api, year, "civic_platform", platform_policy(year))
        await assign(api, "separate", year=year)
    stopped = await awarded_platform(api, 50 * M, title_ko="중단될 플랫폼")
    await _evaluate(api, stopped, "stop")
    body = application(
        "civic_platform", fiscal_year=2018, previous_grant_id=stopped["id"], district_share_krw=0
    )
    assert assert_problem(await apply(api, body), 422, "body.previous_grant_id")["code"] == "platform-stopped"

    grant = await awarded_platform(api, 50 * M)
    for year in (2018, 2019):
        await _evaluate(api, grant, "continue")
        body = application(
            "civic_platform", fiscal_year=year, previous_grant_id=grant["id"], district_share_krw=0
        )
        grant = await api.ok("POST", "/budget/grants", api.officer, json=body)
        grant = await api.ok("POST", f"/budget/grants/{grant['id']}/award", api.city)
    assert grant["platform_year"] == 3
    await _evaluate(api, grant, "continue")
    body = application(
        "civic_platform", fiscal_year=2020, previous_grant_id=grant["id"], district_share_krw=0
    )
    assert (
        assert_problem(await apply(api, body), 422, "body.previous_grant_id")["code"]
        == "platform-years-exhausted"
    )
    wrong_year = {**body, "fiscal_year": 2019}
    assert_problem(await apply(api, wrong_year), 422, "body.previous_grant_id")


@pytest.mark.parametrize(("instant", "seoul_day"), EDGES)
async def test_application_windows_close_and_open_at_seoul_midnight(
    api: Budget, pinned: Clock, instant: datetime, seoul_day: date
) -> None:
    """Execution applications until 2017-06-30 (Seoul), inclusive; platform ones from 2017-07-01."""
    await set_policy(api, 2017, "innovation_plan", innovation_policy())
    await set_policy(api, 2017, "civic_platform", platform_policy(2017, opens_on="2017-07-01"))
    await assign(api, "separate")
    pinned.move_to(instant)
    api = Budget(api.client, api.auth)  # tokens valid at the new time
    june = seoul_day <= date(2017, 6, 30)
    platform = await apply(api, application("civic_platform", amount_krw=M, district_share_krw=0))
    if june:
        body = assert_problem(platform, 422, "body.phase")
        assert body["code"] == "application-window-closed" and "from 2017-07-01" in body["detail"]
    else:
        assert platform.status_code == 201, platform.text
    # execution: the window is what is judged first after the policy, before the planning grant
    execution = await apply(api, application("innovation_plan", phase="execution", district_share_krw=0))
    body = assert_problem(execution, 422)
    assert body["code"] == ("grant-precondition-missing" if june else "application-window-closed")
    if not june:
        assert f"today in Seoul is {seoul_day}" in body["detail"]
    assert instant.tzinfo is UTC


async def test_policies_are_data_with_history(api: Budget) -> None:
    policy = await set_policy(api, 2017, "civic_platform", platform_policy(2017))
    assert policy["increase_percent"] == 10 and policy["phases"][0]["application_deadline"] == "2017-12-31"
    changed = await set_policy(api, 2017, "civic_platform", {**platform_policy(2017), "increase_percent": 15})
    assert changed["increase_percent"] == 15
    read = await api.ok("GET", "/budget/grant-policies/2017/civic_platform", api.citizen)
    assert read == changed
    incomplete = {**platform_policy(2017), "max_years": None}
    response = await api.client.put(
        "/budget/grant-policies/2017/civic_platform", json=incomplete, headers=api.city
    )
    assert_problem(response, 422, "body.max_years")
    wrong_phase = {
        **innovation_policy(),
        "phases": [{"phase": "operation", "application_deadline": "2017-01-01"}],
    }
    response = await api.client.put(
        "/budget/grant-policies/2017/innovation_plan", json=wrong_phase, headers=api.city
    )
    assert_problem(response, 422, "body.phases.0.phase")
    assert_problem(
        await api.client.get("/budget/grant-policies/2016/civic_platform"), 404, "path.fiscal_year"
    )
    none = await apply(
        api, application("civic_platform", fiscal_year=2016, amount_krw=1, district_share_krw=0)
    )
    assert_problem(none, 422, "body.fiscal_year")
    history = await api.ok(
        "GET", "/budget/history", api.auth("auditor"), params={"table": "grant_policies", "limit": 200}
    )
    ours = [
        e
        for e in history["items"]
        if e["after"]["fiscal_year"] == 2017 and e["after"]["kind"] == "civic_platform"
    ]
    assert [e["action"] for e in ours] == ["insert", "update"]
    assert ours[1]["before"]["increase_percent"] == 10 and ours[1]["actor"] == "city-officer-1"


async def test_racing_awards_cannot_together_pass_the_cap(pinned: Clock, committing: Budget) -> None:
    api = committing
    # A district and year no other committing test uses: they all write to one committed database, where
    # another's envelopes or grants of this district and year would count against the cap.
    district, year = "11140", 2040
    officer = api.auth("district_officer", district, subject="junggu-officer")
    await set_policy(api, year, "civic_platform", platform_policy(year))
    await assign(api, "general", year=year, district=district)  # cap 500,000,000
    cycle = await api.ok("POST", "/budget/cycles", api.city, json={"name_ko": "경쟁", "fiscal_year": year})
    await api.ok(
        "POST",
        f"/budget/cycles/{cycle['id']}/envelopes",
        api.city,
        json={"district_code": district, "track": "general", "amount_krw": 350 * M},
    )
    body = {
        **application("civic_platform", fiscal_year=year, amount_krw=100 * M, district_share_krw=0),
        "district_code": district,
    }
    ids = [(await api.ok("POST", "/budget/grants", officer, json=body))["id"] for _ in range(4)]
    responses = await asyncio.gather(
        *(api.client.post(f"/budget/grants/{grant_id}/award", headers=api.city) for grant_id in ids)
    )
    assert sorted(r.status_code for r in responses) == [200, 422, 422, 422], [r.text for r in responses]
    refused = next(r.json() for r in responses if r.status_code == 422)
    assert refused["code"] == "district-cap-exceeded" and "at most 50,000,000 KRW more" in refused["detail"]
    funding = await api.ok("GET", f"/budget/districts/{district}/funding/{year}", api.city)
    assert funding["committed_krw"] == 450 * M <= funding["cap_krw"]
