"""Reads create nothing: callers without a result reader's role get the published outcome, never compute."""

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.auth import Role
from tests.budget.conftest import Auth, Budget, create_election
from tests.conftest import ServiceHarness, assert_problem
from tests.statements import statements

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


def reads_ballots(statement: str) -> bool:
    """The ballots table, not an outcome's n_ballots column."""
    return re.search(r"\bballots\b", statement, re.IGNORECASE) is not None


async def ballot_scans(conn: AsyncConnection) -> int:
    """Scans of the ballots table in this transaction, by any client (the raw asyncpg reads included)."""
    query = text(
        "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables"
        " WHERE schemaname = 'budget' AND relname = 'ballots'"
    )
    return int((await conn.execute(query)).scalar_one())


@pytest.mark.parametrize("role", [None, Role.citizen, Role.city_officer], ids=str)
async def test_the_published_outcome_is_read_by_key_without_touching_ballots(
    api_and_db: tuple[Budget, AsyncConnection], budget_harness: ServiceHarness, auth: Auth, role: Role | None
) -> None:
    api, conn = api_and_db
    eid = await published_election(api, auth)
    url, headers = f"/budget/elections/{eid}/outcome", caller(auth, role)
    before = await ballot_scans(conn)
    with statements(budget_harness.engine) as seen:
        response = await api.client.get(url + "?threshold=2", headers=headers)
    assert response.status_code == 200, response.text
    assert await ballot_scans(conn) == before
    assert response.json()["selected"] == ["C", "B"]
    sql = [s.lower() for s in seen if not s.lower().startswith(("savepoint", "release", "rollback"))]
    assert not [s for s in sql if reads_ballots(s)], sql
    assert len(sql) == 2, sql  # the election by its id, then the outcome by its id
    driver = (await conn.get_raw_connection()).driver_connection
    with statements(budget_harness.engine, driver) as seen:
        again = await api.client.get(url, headers=headers)
    assert again.content == response.content and again.headers["etag"] == response.headers["etag"]
    sql = [s.lower() for s in seen if not s.lower().startswith(("savepoint", "release", "rollback"))]
    # Its JSON is kept by record id; an anonymous read asks the election's pointer alone (published_hot.py).
    assert len(sql) == 1 and re.search(r"from (budget\.)?elections\b", sql[0]), sql
    assert response.headers["etag"] == f'"outcome-{response.json()["id"]}"'
    assert response.headers["cache-control"] == "public, max-age=60"
    assert await outcome_rows(conn, eid) == 1


async def test_if_none_match_on_the_published_outcome_is_304(
    api_and_db: tuple[Budget, AsyncConnection], budget_harness: ServiceHarness, auth: Auth
) -> None:
    api, conn = api_and_db
    eid = await published_election(api, auth)
    url = f"/budget/elections/{eid}/outcome"
    first = await api.client.get(url)
    tag = first.headers["etag"]
    for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        before = await ballot_scans(conn)
        with statements(budget_harness.engine) as seen:
            response = await api.client.get(url, headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b"" and response.headers["etag"] == tag
        assert not [s for s in seen if "outcomes" in s.lower()], seen  # the election row only
        assert await ballot_scans(conn) == before
    for header in ('"outcome-0"', tag.strip('"'), '"other"'):
        response = await api.client.get(url, headers={"If-None-Match": header})
        assert response.status_code == 200 and response.json() == first.json(), header
    # Other parameters than the published ones: no validator, no shared caching.
    other = await api.client.get(url + "?threshold=3", headers=api.city)
    assert other.status_code == 200 and "etag" not in other.headers and "cache-control" not in other.headers


async def test_before_publication_nothing_is_cacheable(api: Budget) -> None:
    election = await create_election(api, rule="greedy", ballot={"type": "approval", "max_length": 2})
    response = await api.client.get(f"/budget/elections/{election['id']}/outcome", headers=api.city)
    assert response.status_code == 200, response.text
    assert "etag" not in response.headers and "cache-control" not in response.headers


async def test_a_stored_outcome_and_its_election_pointer_cannot_change(
    api_and_db: tuple[Budget, AsyncConnection], auth: Auth
) -> None:
    api, conn = api_and_db
    eid = await published_election(api, auth)
    other = (await api.ok("GET", f"/budget/elections/{eid}/outcome?threshold=3", api.city))["id"]
    for statement in (
        "UPDATE budget.outcomes SET selected = '{}' WHERE election_id = :e",
        "UPDATE budget.elections SET published_outcome_id = :o WHERE id = :e",
        "UPDATE budget.elections SET published_outcome_id = NULL WHERE id = :e",
    ):
        savepoint = await conn.begin_nested()
        with pytest.raises(DBAPIError, match=r"immutable|already has published outcome|P0001"):
            await conn.execute(text(statement), {"e": eid, "o": other})
        await savepoint.rollback()
    # Writing the same pointer again is no change.
    await conn.execute(
        text("UPDATE budget.elections SET published_outcome_id = published_outcome_id WHERE id = :e"),
        {"e": eid},
    )


async def test_an_election_published_without_a_pointer_gets_one_from_a_readers_read(
    api_and_db: tuple[Budget, AsyncConnection], budget_harness: ServiceHarness, auth: Auth
) -> None:
    """Published before migration 0006: the old read by digest, until a city officer's read points at it."""
    api, conn = api_and_db
    eid = await published_election(api, auth)
    published = await api.ok("GET", f"/budget/elections/{eid}/outcome", {})
    # As it was before the pointer existed (the test's transaction is rolled back, the trigger with it).
    await conn.execute(text("ALTER TABLE budget.elections DISABLE TRIGGER published_outcome_write_once"))
    await conn.execute(
        text("UPDATE budget.elections SET published_outcome_id = NULL WHERE id = :e"), {"e": eid}
    )
    await conn.execute(text("ALTER TABLE budget.elections ENABLE TRIGGER published_outcome_write_once"))
    url = f"/budget/elections/{eid}/outcome"
    before = await ballot_scans(conn)
    assert (await api.ok("GET", url, {}))["id"] == published["id"]
    assert await ballot_scans(conn) > before  # the check sees the service's raw reads
    assert (await api.ok("GET", url, api.city))["id"] == published["id"]
    before = await ballot_scans(conn)
    assert (await api.ok("GET", url, {}))["id"] == published["id"]
    assert await ballot_scans(conn) == before
    assert await outcome_rows(conn, eid) == 1


async def test_ballots_cannot_change_after_publication_so_the_stored_record_stands(
    api_and_db: tuple[Budget, AsyncConnection], auth: Auth
) -> None:
    """The invariant the primary-key read rests on: no ballot is cast or replaced after publication."""
    api, conn = api_and_db
    eid = await published_election(api, auth)
    url = f"/budget/elections/{eid}/outcome"
    published = await api.ok("GET", url, {})
    for subject in ("v0", "new-voter"):  # a replacement, a first ballot
        response = await api.client.put(
            f"/budget/elections/{eid}/ballot",
            headers=auth("citizen", subject=subject),
            json={"project_ids": ["D"]},
        )
        assert assert_problem(response, 409)["code"] == "election-closed"
    assert await api.ok("GET", url, {}) == published
    # Another tie-break is computed from the ballots as they are now: the same ballots as published.
    recomputed = await api.ok("GET", url + "?tie_break=file_order", api.city)
    assert recomputed["ballot_digest"] == published["ballot_digest"] and recomputed["n_ballots"] == 5
    assert await outcome_rows(conn, eid) == 2  # the published one and the one just computed
