from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import ServiceHarness, assert_problem
from tests.evaluation.conftest import Auth, Evaluation
from tests.immutable import assert_only_these_undeletable, assert_truncate_refused


async def _history(api: Evaluation, auth: Auth, **params: Any) -> list[dict[str, Any]]:
    response = await api.client.get("/evaluation/history", params=params, headers=auth("auditor"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_every_change_is_in_the_history_with_actor_and_time(api: Evaluation, auth: Auth) -> None:
    cycle_id = await api.cycle()
    target = await api.target(cycle_id)
    indicator = await api.specific(target["id"], 30)
    await api.client.patch(f"/evaluation/indicators/{indicator['id']}", json={"weight": 40}, headers=api.city)
    await api.client.delete(f"/evaluation/indicators/{indicator['id']}", headers=api.city)

    created = await _history(api, auth, table="targets", record_id=str(target["id"]))
    assert [(e["action"], e["actor"], e["actor_role"]) for e in created] == [
        ("insert", "city-officer-1", "city_officer")
    ]
    assert created[0]["after"]["organization_id"] == target["organization_id"]
    assert created[0]["at"].endswith("+09:00")

    changes = await _history(api, auth, table="indicators", record_id=str(indicator["id"]))
    assert [e["action"] for e in changes] == ["insert", "update", "delete"]
    assert (changes[1]["before"]["weight"], changes[1]["after"]["weight"]) == (30, 40)
    assert changes[2]["after"] is None and changes[2]["before"]["weight"] == 40

    cycles = await _history(api, auth, table="cycles", record_id=str(cycle_id))
    assert [e["action"] for e in cycles] == ["insert"]


async def test_an_extension_and_an_opening_are_in_the_history(api: Evaluation, auth: Auth) -> None:
    cycle_id = await api.cycle()
    await api.schedule(cycle_id, 1)
    target = await api.target(cycle_id)
    await api.common(cycle_id, 100)
    url = f"/evaluation/cycles/{cycle_id}/rounds/1/windows/appeal/extensions"
    window = await api.ok("POST", url, json={"ends_on": "2017-09-30", "reason": "기관 요청"})
    assert (await api.open_target(target["id"])).status_code == 200

    extended = await _history(api, auth, table="phase_windows", record_id=str(window["id"]))
    assert [e["action"] for e in extended] == ["insert", "update"]
    assert (extended[1]["after"]["ends_on"], extended[1]["reason"]) == ("2017-09-30", "기관 요청")
    extension = await _history(
        api, auth, table="window_extensions", record_id=str(window["extensions"][0]["id"])
    )
    assert extension[0]["reason"] == "기관 요청"
    opened = await _history(api, auth, table="targets", record_id=str(target["id"]))
    assert opened[-1]["before"]["opened_at"] is None and opened[-1]["after"]["opened_by"] == "city-officer-1"


async def test_the_history_is_for_staff_and_paginated(api: Evaluation, auth: Auth) -> None:
    cycle_id = await api.cycle()
    for _ in range(3):
        await api.target(cycle_id)
    assert_problem(await api.client.get("/evaluation/history"), 401)
    assert_problem(await api.client.get("/evaluation/history", headers=auth("citizen")), 403)
    assert_problem(
        await api.client.get("/evaluation/history", params={"table": "ballots"}, headers=auth("auditor")),
        422,
        "query.table",
    )
    first = await api.client.get(
        "/evaluation/history", params={"table": "targets", "limit": 2}, headers=auth("evaluator")
    )
    cursor = first.json()["next_cursor"]
    assert len(first.json()["items"]) == 2 and cursor
    rest = await api.client.get(
        "/evaluation/history", params={"table": "targets", "cursor": cursor}, headers=auth("evaluator")
    )
    seen = [e["id"] for e in first.json()["items"] + rest.json()["items"]]
    assert seen == sorted(set(seen))


async def test_history_rows_cannot_be_changed_or_removed(evaluation_harness: ServiceHarness) -> None:
    async with evaluation_harness.engine.connect() as conn:
        outer = await conn.begin()
        await conn.execute(
            text(
                "INSERT INTO evaluation.cycles (programme, name_ko, year, created_by)"
                " VALUES ('p', 'n', 2017, 'x')"
            )
        )
        for statement in (
            "UPDATE evaluation.history SET actor = 'someone else'",
            "DELETE FROM evaluation.history",
        ):
            with pytest.raises(DBAPIError, match="history records are immutable"):
                async with conn.begin_nested():
                    await conn.execute(text(statement))
        await outer.rollback()


async def test_a_change_through_the_api_records_its_request_id(api: Evaluation, auth: Auth) -> None:
    cycle_id = await api.cycle()
    target = await api.target(cycle_id)
    indicator = await api.specific(target["id"], 30)
    response = await api.client.patch(
        f"/evaluation/indicators/{indicator['id']}", json={"weight": 40}, headers=api.city
    )
    assert response.status_code == 200, response.text
    changes = await _history(api, auth, table="indicators", record_id=str(indicator["id"]))
    assert [e["action"] for e in changes] == ["insert", "update"]
    assert changes[1]["request_id"] == response.headers["x-request-id"]
    assert changes[0]["request_id"] not in (None, changes[1]["request_id"])


async def test_the_history_cannot_be_truncated(evaluation_harness: ServiceHarness) -> None:
    async with evaluation_harness.engine.connect() as conn:
        outer = await conn.begin()
        with pytest.raises(DBAPIError, match="history records are immutable"):
            await conn.execute(text("TRUNCATE evaluation.history"))
        await outer.rollback()


IMMUTABLE = ("window_extensions", "rubric_levels", "history")
UNDELETABLE = (*IMMUTABLE, "results")  # results may be updated, never deleted


@pytest.mark.parametrize("table", UNDELETABLE)
async def test_an_undeletable_table_cannot_be_truncated(
    evaluation_harness: ServiceHarness, table: str
) -> None:
    await assert_truncate_refused(evaluation_harness.engine, "evaluation", table)


async def test_every_table_refusing_delete_refuses_truncate(evaluation_harness: ServiceHarness) -> None:
    await assert_only_these_undeletable(evaluation_harness.engine, "evaluation", UNDELETABLE)
