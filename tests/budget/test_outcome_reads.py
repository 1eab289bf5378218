"""Reads create nothing: callers without a result reader's role get the published outcome, never compute."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.auth import Role
from tests.budget.conftest import Auth, Budget, create_election
from tests.conftest import ServiceHarness, assert_problem

READERS = [Role.city_officer, Role.auditor, Role.admin]
OTHERS = [None, *(role for role in Role if role not in READERS)]


@pytest.fixture
async def api_and_db(
    budget_harness: ServiceHarness, auth: Auth
) -> AsyncIterator[tuple[Budget, AsyncConnection]]:
    async for client, conn in budget_harness.client():
        yield Budget(client, auth), conn


async def outcome_rows(conn: AsyncConnection, election_id: int) -> int:
    query = text("SELECT count(*) FROM budget.outcomes WHERE election_id = :e")
    return int((await conn.execute(query, {"e": election_id})).scalar_one())


async def published_election(api: Budget, auth: Auth) -> int:
    """Greedy with a threshold of 2 votes: C has 3, A and B 2, D 1."""
    election = await create_election(
        api,
        rule="greedy-threshold",
        rule_params={"threshold": 2},
        ballot={"type": "approval", "max_length": 2},
    )
    eid = int(election["id"])
    for i, ballot in enumerate([["A"], ["A", "B"], ["B", "C"], ["C", "D"], ["C"]]):
        await api.ok(
            "PUT",
            f"/budget/elections/{eid}/ballot",
            auth("citizen", subject=f"v{i}"),
            json={"project_ids": ballot},
        )
    await api.ok("POST", f"/budget/elections/{eid}/close", api.city)
    await api.ok("POST", f"/budget/elections/{eid}/publish", api.city)
    return eid


def caller(auth: Auth, role: Role | None) -> dict[str, str]:
    if role is None:
        return {}
    return auth(role, "11110" if role == Role.district_officer else None, subject=f"{role.value}-reader")


@pytest.mark.parametrize("role", OTHERS, ids=lambda r: "anonymous" if r is None else r.value)
async def test_callers_without_the_role_read_the_published_outcome_only(
    api_and_db: tuple[Budget, AsyncConnection], auth: Auth, role: Role | None
) -> None:
    api, conn = api_and_db
    eid = await published_election(api, auth)
    assert await outcome_rows(conn, eid) == 1
    url, headers = f"/budget/elections/{eid}/outcome", caller(auth, role)

    published = await api.ok("GET", url, headers)
    assert published["rule"] == "greedy-threshold" and published["params"] == {"threshold": 2}
    assert published["selected"] == ["C", "B"]  # A (2 votes) no longer fits; D (1 vote) is below 2
    for same in (
        "?threshold=2",
        "?rule=greedy-threshold&threshold=2.0",
        "?tie_break=score_desc,cost_asc,file_order",
    ):
        assert (await api.ok("GET", url + same, headers))["id"] == published["id"], same

    for query, field in (
        ("?threshold=3", "query.threshold"),  # just above the published threshold
        ("?threshold=1", "query.threshold"),  # just below
        ("?threshold=2.5", "query.threshold"),
        ("?rule=greedy", "query.rule"),
        ("?rule=mes-add1", "query.rule"),
        ("?tie_break=cost_asc", "query.tie_break"),
        ("?threshold=2&tie_break=file_order", "query.tie_break"),
    ):
        problem = assert_problem(await api.client.get(url + query, headers=headers), 403, field=field)
        assert problem["code"] == "outcome-not-published" and "greedy-threshold" in problem["detail"]
    assert await outcome_rows(conn, eid) == 1


@pytest.mark.parametrize("role", READERS, ids=lambda r: r.value)
async def test_result_readers_keep_computing(
    api_and_db: tuple[Budget, AsyncConnection], auth: Auth, role: Role
) -> None:
    api, conn = api_and_db
    eid = await published_election(api, auth)
    url, headers = f"/budget/elections/{eid}/outcome", caller(auth, role)
    above = await api.ok("GET", url + "?threshold=3", headers)
    assert above["selected"] == ["C"] and await outcome_rows(conn, eid) == 2
    assert (await api.ok("GET", url + "?threshold=3", headers))["id"] == above["id"]
    assert (await api.ok("GET", url + "?rule=greedy", headers))["selected"] == ["C", "B", "D"]
    assert await outcome_rows(conn, eid) == 3


async def test_a_published_import_has_its_outcome_recorded_for_everyone(
    api_and_db: tuple[Budget, AsyncConnection],
) -> None:
    api, conn = api_and_db
    content = (
        "META\nkey;value\ndescription;작은 선거\nnum_projects;2\nnum_votes;2\nbudget;10\nvote_type;approval\n"
        "rule;greedy\nPROJECTS\nproject_id;cost\n1;6\n2;5\nVOTES\nvoter_id;vote\nv1;1\nv2;1,2\n"
    )
    files = {"file": ("x.pb", content.encode(), "application/octet-stream")}
    response = await api.client.post(
        "/budget/elections/import", files=files, data={"published": "true"}, headers=api.city
    )
    assert response.status_code == 201, response.text
    eid = response.json()["id"]
    assert await outcome_rows(conn, eid) == 1
    outcome: dict[str, Any] = (await api.client.get(f"/budget/elections/{eid}/outcome")).json()
    assert outcome["selected"] == ["1"]
    assert_problem(await api.client.get(f"/budget/elections/{eid}/outcome?rule=mes-add1"), 403, "query.rule")
    assert await outcome_rows(conn, eid) == 1


async def test_a_published_import_its_rule_cannot_decide_still_imports(api: Budget) -> None:
    content = (
        "META\nkey;value\nbudget;10\nvote_type;approval\nrule;equalshares/add1\n"
        "PROJECTS\nproject_id;cost\n1;6\nVOTES\nvoter_id;vote\n"
    )
    files = {"file": ("x.pb", content.encode(), "application/octet-stream")}
    response = await api.client.post(
        "/budget/elections/import", files=files, data={"published": "true"}, headers=api.city
    )
    assert response.status_code == 201, response.text
    url = f"/budget/elections/{response.json()['id']}/outcome"
    assert assert_problem(await api.client.get(url), 404)["code"] == "published-outcome-missing"
    assert assert_problem(await api.client.get(url, headers=api.city), 422)["code"] == "outcome-failed"
