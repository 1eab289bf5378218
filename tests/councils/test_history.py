"""Every change is recorded in the same transaction: who, when, which record, the row before and after.

The history is written by the `record_history` trigger of every audited table (migration 0007), so its
`before`/`after` are the stored rows (`organization_id`, not the organisation's name joined in by the API).
"""

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from services.councils.common.vocab import BodyKind
from shared.settings import async_url
from tests.conftest import Database, assert_problem
from tests.councils.helpers import Api
from tests.immutable import undeletable_tables


async def test_creating_and_ending_a_membership_is_recorded_with_the_actor(
    api: Api, auth: Callable[..., dict[str, str]]
) -> None:
    officer = auth("district_officer", "11380", subject="officer-7")
    body = await api.body(headers=officer, district_code="11380", name_ko="협치은평구회의")
    member = await api.membership(headers=officer, organization_id=body["id"], start_date="2017-04-10")
    response = await api.client.patch(
        f"/councils/memberships/{member['id']}",
        json={"end_date": "2017-06-19", "end_reason": "resigned"},
        headers=api.city,
    )
    assert response.status_code == 200
    entries = await api.history("membership", member["id"])
    assert [(e["action"], e["actor_subject"], e["actor_role"]) for e in entries] == [
        ("create", "officer-7", "district_officer"),
        ("update", "tester", "city_officer"),
    ]
    assert entries[0]["before"] is None and entries[0]["after"]["organization_id"] == body["id"]
    assert entries[1]["before"]["end_date"] is None
    assert entries[1]["after"]["end_date"] == "2017-06-19"
    assert entries[1]["after"]["end_reason"] == "resigned"
    assert entries[1]["request_id"] == response.headers["x-request-id"]
    body_entries = await api.history("body", body["id"])
    assert body_entries[0]["after"]["name_ko"] == "협치은평구회의"


async def all_ids(api: Api, entity: str) -> list[int]:
    ids: list[int] = []
    params: dict[str, str | int] = {"entity": entity, "limit": 200}
    while True:
        page = (await api.client.get("/councils/history", headers=api.city, params=params)).json()
        ids += [entry["id"] for entry in page["items"]]
        if not page["next_cursor"]:
            return ids
        params["cursor"] = page["next_cursor"]


async def test_a_refused_write_leaves_no_history(api: Api) -> None:
    plenary, _ = await api.association()
    await api.lead(plenary, "11590", start_date="2017-01-01")
    await api.lead(plenary, "11590", start_date="2017-01-01")
    person = await api.person()
    before = await all_ids(api, "membership")
    response = await api.post_membership(
        organization_id=plenary["id"],
        person_id=person["id"],
        role="communication_lead",
        district_code="11590",
        start_date="2017-01-01",
    )
    assert_problem(response, 422)
    assert await all_ids(api, "membership") == before


async def test_history_is_not_public(api: Api) -> None:
    assert_problem(await api.client.get("/councils/history"), 401)
    assert_problem(await api.client.get("/councils/history", headers=api.auth("citizen")), 403)


async def test_korean_is_stored_as_text(committed_api: Api, committed_database: Database) -> None:
    # Committed through the service's own pool, as in production: the actor set by the route's dependency
    # is in the handler's transaction.
    body = await committed_api.body(name_ko="협치서울지역협의회 (기록 시험)")
    engine = create_async_engine(async_url(committed_database.service_urls["councils"]))
    try:
        async with engine.connect() as conn:
            stored, actor, role, request_id = (
                await conn.execute(
                    text(
                        "SELECT after::text, actor_subject, actor_role, request_id FROM audit_log"
                        " WHERE entity_type = 'body' AND entity_id = :id"
                    ),
                    {"id": str(body["id"])},
                )
            ).one()
    finally:
        await engine.dispose()
    assert "협치서울지역협의회 (기록 시험)" in stored and "\\u" not in stored
    assert (actor, role) == ("tester", "city_officer") and request_id


async def test_a_district_officers_writes_record_that_officer(
    api: Api, auth: Callable[..., dict[str, str]]
) -> None:
    officer = auth("district_officer", "11380", subject="officer-eunpyeong")
    person = await api.ok(
        await api.client.post(
            "/councils/persons", json={"name_ko": "민성환", "district_code": "11380"}, headers=officer
        )
    )
    renamed = await api.client.patch(
        f"/councils/persons/{person['id']}", json={"name_en": "Min"}, headers=officer
    )
    assert renamed.status_code == 200, renamed.text
    organization = await api.ok(
        await api.client.post(
            "/councils/organizations",
            json={"classification": "consortium", "name_ko": "은평 컨소시엄", "district_code": "11380"},
            headers=officer,
        )
    )
    entries = await api.history("person", person["id"]) + await api.history(
        "organization", organization["id"]
    )
    assert [(e["entity_type"], e["action"], e["actor_subject"], e["actor_role"]) for e in entries] == [
        ("person", "create", "officer-eunpyeong", "district_officer"),
        ("person", "update", "officer-eunpyeong", "district_officer"),
        ("organization", "create", "officer-eunpyeong", "district_officer"),
    ]
    assert entries[1]["before"]["name_en"] is None and entries[1]["after"]["name_en"] == "Min"


@pytest.fixture
async def councils_sql(database: Database) -> AsyncIterator[AsyncConnection]:
    """A connection as the councils role, outside the service, whose transaction is rolled back."""
    engine = create_async_engine(async_url(database.service_urls["councils"]))
    try:
        async with engine.connect() as conn:
            yield conn
            await conn.rollback()
    finally:
        await engine.dispose()


async def test_a_write_outside_the_service_is_recorded_as_system(councils_sql: AsyncConnection) -> None:
    person_id = await councils_sql.scalar(
        text("INSERT INTO persons (name_ko) VALUES ('운영자 수정') RETURNING id")
    )
    await councils_sql.execute(text("UPDATE persons SET name_ko = name_ko WHERE id = :id"), {"id": person_id})
    await councils_sql.execute(text("UPDATE persons SET note = '정정' WHERE id = :id"), {"id": person_id})
    await councils_sql.execute(text("DELETE FROM persons WHERE id = :id"), {"id": person_id})
    rows = (
        await councils_sql.execute(
            text(
                "SELECT action, actor_subject, actor_role, request_id, before ->> 'note', after ->> 'note'"
                " FROM audit_log WHERE entity_type = 'person' AND entity_id = :id ORDER BY id"
            ),
            {"id": str(person_id)},
        )
    ).all()
    # The UPDATE that changed nothing (but the row's version) is not recorded.
    assert [tuple(row) for row in rows] == [
        ("create", "system", "system", None, None, None),
        ("update", "system", "system", None, None, "정정"),
        ("delete", "system", "system", None, "정정", None),
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor_subject = 'someone else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ],
)
async def test_the_history_is_append_only(councils_sql: AsyncConnection, statement: str) -> None:
    await councils_sql.execute(text("INSERT INTO persons (name_ko) VALUES ('기록 시험')"))
    with pytest.raises(DBAPIError, match="audit_log records are immutable"):
        await councils_sql.execute(text(statement))


async def test_every_table_refusing_delete_refuses_truncate(councils_sql: AsyncConnection) -> None:
    assert await undeletable_tables(councils_sql, "councils") == {"audit_log": True}


async def test_bodies_and_organisations_are_told_apart_by_the_vocabulary(
    councils_sql: AsyncConnection,
) -> None:
    arguments = await councils_sql.scalar(
        text(
            "SELECT tgargs FROM pg_trigger"
            " WHERE tgname = 'record_history' AND tgrelid = 'councils.organizations'::regclass"
        )
    )
    entity, key, other, *kinds = bytes(arguments).decode().rstrip("\x00").split("\x00")
    assert (entity, key, other) == ("organization", "id", "body")
    assert set(kinds) == {kind.value for kind in BodyKind}


def _calls(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def test_every_write_route_names_its_actor_to_the_triggers() -> None:
    from services.councils import main

    routers = [value for value in vars(main).values() if isinstance(value, APIRouter)]
    writes = [
        route
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.methods & {"POST", "PUT", "PATCH", "DELETE"}
    ]
    assert len(writes) >= 22
    for route in writes:
        actors = [
            call for call in _calls(route.dependant) if "writer.<locals>" in getattr(call, "__qualname__", "")
        ]
        assert actors, (
            f"{sorted(route.methods)} {route.path} writes without setting the actor (common/access.py)"
        )
