"""A district's budget at a glance (`GET /budget/districts/{code}/overview`), for the gateway's overview: the
year's money, envelopes, grants by kind and status, and pending amendments, in a bounded number of queries."""

from typing import Any

import httpx
import pytest

from tests.budget.conftest import DISTRICT, Auth, Budget
from tests.budget.funded import funded, running
from tests.budget.test_amendments import Councils, amend, councils_service, lines_of
from tests.budget.test_summaries import money
from tests.clock import Clock
from tests.statements import statements

__all__ = ["councils_service"]  # the fixture, used by name


@pytest.fixture
def in_2017(pinned: Clock, budget: httpx.AsyncClient, auth: Auth) -> Budget:
    """The clock pinned in 2017, when the year's grant applications are open."""
    return Budget(budget, auth)


async def overview(api: Budget, **params: Any) -> tuple[dict[str, Any], list[str]]:
    engine = api.client._transport.app.state.engine  # type: ignore[attr-defined]
    with statements(engine) as seen:
        response = await api.client.get(f"/budget/districts/{DISTRICT}/overview", params=params)
    assert response.status_code == 200, response.text
    return response.json(), [s for s in seen if "budget." in s]


async def test_the_years_money_grants_and_envelopes_of_the_district(in_2017: Budget) -> None:
    api = in_2017
    await money(api)
    year, queries = await overview(api, fiscal_year=2017)
    assert year["summary"] == (await api.client.get(f"/budget/summaries/2017/districts/{DISTRICT}")).json()
    assert [(e["track"], e["amount_krw"]) for e in year["envelopes"]] == [("general", 400_000_000)]
    assert [(g["kind"], g["status"], g["count"], g["amount_krw"]) for g in year["grants"]] == [
        ("civic_platform", "applied", 1, 10_000_000),
        ("innovation_plan", "awarded", 1, 100_000_000),
    ]
    assert year["pending_amendments"] == {"count": 0, "head": []}
    assert len(queries) <= 5, queries  # summary (2), envelopes, grants, pending amendments
    empty, _ = await overview(api, fiscal_year=2016)
    assert empty["envelopes"] == [] and empty["grants"] == [] and empty["summary"]["envelope_krw"] == 0


async def test_pending_amendments_are_counted_and_the_newest_listed(
    api: Budget, councils_service: Councils
) -> None:
    lines = {
        "A": [{"name_ko": "공사비", "amount_krw": 500_000}, {"name_ko": "설계비", "amount_krw": 100_000}],
        "C": [{"name_ko": "공사비", "amount_krw": 200_000}, {"name_ko": "설계비", "amount_krw": 100_000}],
    }
    projects = await funded(api, lines)
    ids = []
    for key in ("A", "C"):  # a transfer each (one open amendment per project): the city decides, `requested`
        pid = projects[key]["id"]
        await running(api, pid)
        build, design = [line["id"] for line in await lines_of(api, pid)]
        changes = [
            {"line_id": build, "amount_krw": lines[key][0]["amount_krw"] + 1},
            {"line_id": design, "amount_krw": 99_999},
        ]
        created = await amend(api, pid, changes, council_decision_id=7)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    first, few = await overview(api, fiscal_year=2017)
    assert first["pending_amendments"]["count"] == 2
    assert [a["id"] for a in first["pending_amendments"]["head"]] == ids[::-1]
    assert {a["status"] for a in first["pending_amendments"]["head"]} == {"requested"}
    await api.ok(
        "POST",
        f"/budget/amendments/{ids[0]}/decision",
        api.city,
        json={"decision": "rejected", "reason_ko": "부족"},
    )
    after, more = await overview(api, fiscal_year=2017)
    assert after["pending_amendments"]["count"] == 1 and len(more) == len(few)


async def test_spending_is_the_projects_expenditures_in_their_cycles_year(api: Budget) -> None:
    """The summary's (and so the overview's) spending: a funded project of a 2018 cycle spends in 2018."""
    project = (await funded(api))["A"]
    await running(api, project["id"])
    [line] = await lines_of(api, project["id"])
    for amount in (100_000, 23_456):
        expense = {
            "line_id": line["id"],
            "account_code": "201-01",
            "item_ko": "강사료",
            "unit_price_krw": amount,
            "quantity": 1,
            "amount_krw": amount,
            "spent_on": "2018-09-19",
            "payee": "DDP",
            "receipt_ref": "지역공동체담당관-10434",
        }
        created = await api.client.post(
            f"/budget/projects/{project['id']}/expenditures", json=expense, headers=api.officer
        )
        assert created.status_code == 201, created.text
    year, queries = await overview(api, fiscal_year=2018)
    assert year["summary"]["spent_krw"] == 123_456
    assert year["summary"]["remaining_krw"] == year["summary"]["envelope_krw"] + 0 - 123_456
    assert len(queries) <= 5, queries
    other, _ = await overview(api, fiscal_year=2017)
    assert other["summary"]["spent_krw"] == 0
