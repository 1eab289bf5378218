"""Itemised expenditures: the arithmetic checked, a line never overspent (also under a race), seed 001."""

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.budget.conftest import Budget
from tests.budget.funded import funded, published_election, running
from tests.conftest import SHARED_DIR, ServiceHarness, assert_problem, require_shared

SEED_001 = "2018-09-19 civic platform joint workshop"  # the 4 rows of seed 001, total 1,456,200


def expense(line_id: int, unit_price: int, quantity: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "line_id": line_id,
        "account_code": "201-01",
        "item_ko": "강사료 (lecture fee)",
        "unit_price_krw": unit_price,
        "quantity": quantity,
        "amount_krw": unit_price * quantity,
        "spent_on": "2018-09-19",
        "payee": "DDP",
        "receipt_ref": "지역공동체담당관-10434",
        **fields,
    }


async def spend(
    api: Budget, project_id: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    return await api.client.post(
        f"/budget/projects/{project_id}/expenditures", json=body, headers=headers or api.officer
    )


def seed_001_rows() -> list[dict[str, str]]:
    path = require_shared(SHARED_DIR / "data" / "seoul_2017" / "expenses.csv")
    with path.open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["event"] == SEED_001]


async def test_the_seed_001_expense_sheet_loads_and_totals_1_456_200(api: Budget) -> None:
    rows = seed_001_rows()
    total = sum(int(row["amount_krw"]) for row in rows)
    assert total == 1_456_200
    # A project whose one line is exactly the sheet's total: the last row spends the budget to the won.
    projects = {"project_id": "W", "name": "시민협력플랫폼 지원단 3차 회의(통합워크숍)", "cost_krw": total}
    election = await published_election(api, projects=[projects])
    created = await api.ok("POST", f"/budget/elections/{election['id']}/projects", api.city, json={})
    project = created["items"][0]
    line_id = (await api.client.get(f"/budget/projects/{project['id']}")).json()["lines"][0]["id"]
    for row in rows:
        body = expense(
            line_id,
            int(row["unit_price_krw"]),
            int(row["quantity"]),
            item_ko=row["item"],
            event_ko=row["event"],
            account_code=row["account_code"],
            amount_krw=int(row["amount_krw"]),
        )
        response = await spend(api, project["id"], body)
        assert response.status_code == 201, response.text
    summary = (await api.client.get(f"/budget/projects/{project['id']}/summary")).json()  # anonymous
    assert (
        summary["spent_krw"] == 1_456_200 and summary["remaining_krw"] == 0 and summary["expenditures"] == 4
    )
    assert summary["accounts"] == [
        {"account_code": "201-01", "name_ko": "사무관리비", "spent_krw": 1_456_200, "count": 4}
    ]
    assert summary["spent_per_mille"] == 1000
    listed = (
        await api.client.get(f"/budget/projects/{project['id']}/expenditures", headers=api.officer)
    ).json()
    assert [(e["item_ko"], e["amount_krw"]) for e in listed["items"]] == [
        (row["item"], int(row["amount_krw"])) for row in rows
    ]
    exported = await api.client.get(f"/budget/projects/{project['id']}/expenditures.csv", headers=api.officer)
    assert exported.status_code == 200 and exported.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["번호", "사업", "예산항목"] and table[-1][0] == "계" and table[-1][8] == "1456200"
    assert [line[5] for line in table[1:-1]] == [row["item"] for row in rows]


async def test_amount_must_be_unit_price_times_quantity(api: Budget) -> None:
    project = (await funded(api))["A"]
    line_id = (await api.client.get(f"/budget/projects/{project['id']}")).json()["lines"][0]["id"]
    wrong = expense(line_id, 150_000, 2, amount_krw=150_000)
    problem = assert_problem(await spend(api, project["id"], wrong), 422, "body.amount_krw")
    assert (
        problem["code"] == "amount-mismatch" and problem["detail"] == "150,000 × 2 = 300,000 KRW, not 150,000"
    )
    assert problem["expected_krw"] == 300_000
    assert_problem(
        await spend(api, project["id"], expense(line_id, 1, amount_krw="1,000")), 422, "body.amount_krw"
    )
    assert_problem(
        await spend(api, project["id"], expense(line_id, 1, amount_krw=1.0)), 422, "body.amount_krw"
    )
    unknown = assert_problem(await spend(api, project["id"], expense(line_id, 1, account_code="999-99")), 422)
    assert unknown["code"] == "unknown-account-code" and unknown["errors"][0]["field"] == "body.account_code"
    other_line = (await api.client.get(f"/budget/projects/{(await funded(api))['C']['id']}")).json()["lines"][
        0
    ]
    assert_problem(await spend(api, project["id"], expense(other_line["id"], 1)), 404, "body.line_id")
    codes = (await api.client.get("/budget/account-codes")).json()
    assert {
        "code": "201-01",
        "name_ko": "사무관리비",
        "name_en": "Office expenses",
        "source": "seed 001",
    } in codes


async def test_a_line_is_spent_up_to_its_budget_and_not_a_won_more(api: Budget) -> None:
    project = (await funded(api))["D"]  # 100,000
    pid = project["id"]
    line_id = (await api.client.get(f"/budget/projects/{pid}")).json()["lines"][0]["id"]
    assert (await spend(api, pid, expense(line_id, 99_999))).status_code == 201  # budget − 1
    over = assert_problem(await spend(api, pid, expense(line_id, 2)), 422, "body.amount_krw")  # budget + 1
    assert over["code"] == "over-budget" and over["remaining_krw"] == 1
    assert "has 1 KRW left (100,000 − 99,999 spent); 2 KRW is 1 too much" in over["detail"]
    assert (await spend(api, pid, expense(line_id, 1))).status_code == 201  # exactly the budget
    assert_problem(await spend(api, pid, expense(line_id, 1)), 422, "body.amount_krw")
    detail = (await api.client.get(f"/budget/projects/{pid}")).json()
    assert detail["spent_krw"] == 100_000 and detail["remaining_krw"] == 0


async def test_who_records_and_who_reads_expenditures(api: Budget) -> None:
    pid = (await funded(api))["C"]["id"]
    line_id = (await api.client.get(f"/budget/projects/{pid}")).json()["lines"][0]["id"]
    other = api.auth("district_officer", "11140", subject="junggu-officer")
    assert (
        assert_problem(await spend(api, pid, expense(line_id, 1), other), 403)["code"] == "not-your-district"
    )
    # Another district's officer learns nothing about the project's lines: 403 for a line that does not exist.
    assert_problem(await spend(api, pid, expense(2**31 - 1, 1), other), 403)
    assert_problem(await spend(api, 2**31 - 1, expense(line_id, 1)), 404, "path.project_id")
    assert_problem(await spend(api, pid, expense(line_id, 1), api.city), 403)
    assert_problem(await spend(api, pid, expense(line_id, 1), api.citizen), 403)
    assert (await spend(api, pid, expense(line_id, 1, payee='=HYPERLINK("x")'))).status_code == 201
    url = f"/budget/projects/{pid}/expenditures"
    assert_problem(await api.client.get(url, headers=api.citizen), 403)
    assert_problem(await api.client.get(url), 401)
    assert_problem(await api.client.get(url, headers=other), 403)
    assert len((await api.client.get(url, headers=api.auth("auditor"))).json()["items"]) == 1
    exported = (await api.client.get(f"{url}.csv", headers=api.city)).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in exported
    await running(api, pid)
    await api.ok("POST", f"/budget/projects/{pid}/status", api.officer, json={"status": "cancelled"})
    closed = assert_problem(await spend(api, pid, expense(line_id, 1)), 409)
    assert closed["code"] == "project-closed"
    no_line = assert_problem(await spend(api, pid, expense(2**31 - 1, 1)), 409)  # closed comes first
    assert no_line["code"] == "project-closed"


@pytest.mark.parametrize(
    ("now", "spent_on", "status"),
    [
        (datetime(2017, 6, 30, 14, 59, 59, tzinfo=UTC), "2017-06-30", 201),
        (datetime(2017, 6, 30, 14, 59, 59, tzinfo=UTC), "2017-07-01", 422),  # tomorrow in Seoul
        (datetime(2017, 6, 30, 15, 0, 0, tzinfo=UTC), "2017-07-01", 201),  # Seoul midnight: today
        (datetime(2017, 6, 30, 15, 0, 0, tzinfo=UTC), "2017-07-02", 422),
        (datetime(2017, 7, 1, 0, 0, 0, tzinfo=UTC), "2017-07-01", 201),  # UTC midnight: still the 1st
    ],
)
async def test_an_expenditure_is_not_dated_after_today_in_seoul(
    api: Budget, now: datetime, spent_on: str, status: int
) -> None:
    pid = (await funded(api))["D"]["id"]  # the election needs the real clock (PostgreSQL judges its window)
    line_id = (await api.client.get(f"/budget/projects/{pid}")).json()["lines"][0]["id"]
    with time_machine.travel(now, tick=False):
        officer = api.auth("district_officer", "11110", subject="jongno-officer")  # a token of that moment
        response = await spend(api, pid, expense(line_id, 10, spent_on=spent_on), officer)
    assert response.status_code == status, response.text
    if status == 422:
        assert assert_problem(response, 422, "body.spent_on")["code"] == "date-in-future"


async def test_racing_expenditures_never_overspend_a_project(committing: Budget) -> None:
    api = committing
    pid = (await funded(api))["A"]["id"]  # 600,000 on one line
    line_id = (await api.client.get(f"/budget/projects/{pid}")).json()["lines"][0]["id"]
    responses = await asyncio.gather(*(spend(api, pid, expense(line_id, 50_000)) for _ in range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 12 + [422] * 8, [r.text for r in responses if r.status_code not in (201, 422)]
    detail = (await api.client.get(f"/budget/projects/{pid}")).json()
    assert detail["spent_krw"] == 600_000 and detail["remaining_krw"] == 0
    listed = (await api.client.get(f"/budget/projects/{pid}/expenditures", headers=api.city)).json()["items"]
    assert sum(e["amount_krw"] for e in listed) == 600_000 and len(listed) == 12


async def test_the_database_refuses_overspending_without_the_service(
    api: Budget, budget_harness: ServiceHarness
) -> None:
    pid = (await funded(api))["D"]["id"]  # 100,000
    line_id = (await api.client.get(f"/budget/projects/{pid}")).json()["lines"][0]["id"]
    insert = text(
        "INSERT INTO budget.expenditures (project_id, line_id, account_code, item_ko, unit_price_krw,"
        " quantity, amount_krw, spent_on, payee, receipt_ref, created_by)"
        " VALUES (:pid, :line, '201-01', 'x', :amount, 1, :amount, '2018-01-01', 'p', 'r', 'sql')"
    )
    async with budget_harness.app.state.sessionmaker() as session:
        with pytest.raises(DBAPIError, match="has 100000 KRW left"):
            await session.execute(insert, {"pid": pid, "line": line_id, "amount": 100_001})
        await session.rollback()
    async with budget_harness.app.state.sessionmaker() as session:
        with pytest.raises(DBAPIError, match="ck_expenditures_amount_is_product"):
            await session.execute(
                text(insert.text.replace(":amount, 1, :amount", ":amount, 2, :amount")),
                {"pid": pid, "line": line_id, "amount": 10},
            )
        await session.rollback()
    assert (await api.client.get(f"/budget/projects/{pid}")).json()["spent_krw"] == 0
