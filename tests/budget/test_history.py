"""The money records' history keeps the request that made each change and cannot be changed or emptied."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.budget.conftest import Budget
from tests.conftest import ServiceHarness
from tests.immutable import assert_only_these_undeletable, assert_truncate_refused


async def test_a_change_through_the_api_records_its_request_id(api: Budget) -> None:
    general = {t["code"]: t for t in (await api.client.get("/budget/funding-types")).json()}["general"]
    corrected = {**{k: v for k, v in general.items() if k != "code"}, "reason": "요청 추적"}
    response = await api.client.put("/budget/funding-types/general", json=corrected, headers=api.city)
    assert response.status_code == 200, response.text
    history = await api.ok(
        "GET",
        "/budget/history",
        api.auth("auditor"),
        params={"table": "funding_types", "record_id": "general"},
    )
    [entry] = history["items"]
    assert entry["request_id"] == response.headers["x-request-id"] and entry["reason"] == "요청 추적"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE budget.history SET actor = 'someone else'",
        "DELETE FROM budget.history",
        "TRUNCATE budget.history",
    ],
)
async def test_the_history_is_append_only(budget_harness: ServiceHarness, statement: str) -> None:
    async with budget_harness.engine.connect() as conn:
        outer = await conn.begin()
        await conn.execute(text("UPDATE budget.funding_types SET source = source WHERE code = 'general'"))
        assert await conn.scalar(text("SELECT count(*) FROM budget.history WHERE request_id IS NULL"))
        with pytest.raises(DBAPIError, match="history records are immutable"):
            await conn.execute(text(statement))
        await outer.rollback()


IMMUTABLE = (
    "proposal_transitions",
    "screening_entries",
    "outcomes",
    "evaluation_results",
    "expenditures",
    "project_timeline",
    "inbox_events",
    "delivered_results",
    "history",
)


@pytest.mark.parametrize("table", IMMUTABLE)
async def test_an_append_only_table_cannot_be_truncated(budget_harness: ServiceHarness, table: str) -> None:
    await assert_truncate_refused(budget_harness.engine, "budget", table)


async def test_every_table_refusing_delete_refuses_truncate(budget_harness: ServiceHarness) -> None:
    await assert_only_these_undeletable(budget_harness.engine, "budget", IMMUTABLE)
