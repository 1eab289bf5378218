"""Money per district and year, for all 25 districts in a bounded number of queries, and as CSV."""

from typing import Any

import httpx
import pytest

from shared.seoul import DISTRICT_CODES
from tests.budget.conftest import DISTRICT, Auth, Budget
from tests.budget.money import M, application, assign, innovation_policy, platform_policy, set_policy
from tests.clock import Clock
from tests.statements import statements


@pytest.fixture
def api(pinned: Clock, budget: httpx.AsyncClient, auth: Auth) -> Budget:
    return Budget(budget, auth)


async def money(api: Budget) -> None:
    await set_policy(api, 2017, "innovation_plan", innovation_policy())
    await set_policy(api, 2017, "civic_platform", platform_policy(2017))
    await assign(api, "separate", neighbourhoods=2)  # cap 900 M
    cycle = await api.ok("POST", "/budget/cycles", api.city, json={"name_ko": "2017", "fiscal_year": 2017})
    await api.ok(
        "POST",
        f"/budget/cycles/{cycle['id']}/envelopes",
        api.city,
        json={"district_code": DISTRICT, "track": "general", "amount_krw": 400 * M},
    )
    planning = await api.ok(
        "POST",
        "/budget/grants",
        api.officer,
        json=application("innovation_plan", phase="planning", amount_krw=100 * M, district_share_krw=30 * M),
    )
    await api.ok("POST", f"/budget/grants/{planning['id']}/award", api.city)
    # applied, not awarded: not counted
    await api.ok(
        "POST",
        "/budget/grants",
        api.officer,
        json=application("civic_platform", amount_krw=10 * M, district_share_krw=0),
    )


async def test_every_district_of_a_year_in_one_answer(api: Budget) -> None:
    await money(api)
    engine = api.client._transport.app.state.engine  # type: ignore[attr-defined]
    with statements(engine) as seen:
        summaries = (await api.client.get("/budget/summaries/2017")).json()  # anyone
    assert len(summaries) == 25 and {s["district_code"] for s in summaries} == DISTRICT_CODES
    assert len([s for s in seen if "budget." in s]) <= 2, seen
    jongno = next(s for s in summaries if s["district_code"] == DISTRICT)
    assert jongno == {
        "district_code": DISTRICT,
        "fiscal_year": 2017,
        "funding_type": "separate",
        "neighbourhoods": 2,
        "cap_krw": 900 * M,
        "envelope_krw": 400 * M,
        "grants_krw": 100 * M,
        "city_share_krw": 70 * M,
        "district_share_krw": 30 * M,
        "spent_krw": 0,
        "remaining_krw": 500 * M,
    }
    other = next(s for s in summaries if s["district_code"] == "11140")
    assert other["funding_type"] is None and other["cap_krw"] is None and other["remaining_krw"] == 0
    one = (await api.client.get(f"/budget/summaries/2017/districts/{DISTRICT}")).json()
    assert one == jongno
    assert all(
        isinstance(v, int) for s in summaries for k, v in s.items() if k.endswith("_krw") and v is not None
    )


async def test_the_csv_export_has_a_bom_and_korean_headers(api: Budget) -> None:
    await money(api)
    response = await api.client.get("/budget/summaries/2017/export.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("자치구 코드,연도,지원 유형")
    assert f"{DISTRICT},2017,separate,2,900000000,400000000,100000000,70000000,30000000,0,500000000" in lines
    assert len([line for line in lines if line]) == 26


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    from services.budget.summaries.schemas import DistrictYearSummary
    from services.budget.summaries.service import summaries_csv

    row = DistrictYearSummary(
        district_code="11110",
        fiscal_year=2017,
        funding_type='=HYPERLINK("x")',
        neighbourhoods=None,
        cap_krw=None,
        envelope_krw=0,
        grants_krw=0,
        city_share_krw=0,
        district_share_krw=0,
        spent_krw=0,
        remaining_krw=-5,
    )
    line = summaries_csv([row]).split("\r\n")[1]
    assert line.startswith('11110,2017,"\'=HYPERLINK(""x"")",,')
    assert line.endswith(",-5")  # numbers stay numbers


async def test_spending_of_the_years_projects_is_counted_in_the_same_query(
    budget: httpx.AsyncClient, auth: Auth
) -> None:
    from tests.budget.funded import funded, running

    api = Budget(budget, auth)

    async def jongno(year: int = 2018) -> dict[str, Any]:
        summaries = (await api.client.get(f"/budget/summaries/{year}")).json()
        return dict(next(s for s in summaries if s["district_code"] == DISTRICT))

    before, other_year = await jongno(), await jongno(2019)
    pid = (await funded(api))["A"]["id"]  # a 2018 cycle's envelope of 1,000,000 in 종로구
    await running(api, pid)
    line = (await api.client.get(f"/budget/projects/{pid}")).json()["lines"][0]["id"]
    spend = {
        "line_id": line,
        "account_code": "201-01",
        "item_ko": "대관료",
        "unit_price_krw": 140_000,
        "quantity": 2,
        "amount_krw": 280_000,
        "spent_on": "2018-05-01",
        "payee": "유진인재개발원",
        "receipt_ref": "R-1",
    }
    await api.ok("POST", f"/budget/projects/{pid}/expenditures", api.officer, json=spend)
    after = await jongno()
    assert after["spent_krw"] - before["spent_krw"] == 280_000
    assert after["envelope_krw"] - before["envelope_krw"] == 1_000_000
    assert after["remaining_krw"] - before["remaining_krw"] == 1_000_000 - 280_000
    assert await jongno(2019) == other_year  # spending is counted in its project's cycle year only
