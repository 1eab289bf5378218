"""Every change is recorded in the same transaction: who, when, which record, before and after."""

from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import async_url
from tests.conftest import Database, assert_problem
from tests.councils.helpers import Api


async def history(api: Api, entity: str, ident: int) -> list[dict[str, object]]:
    response = await api.client.get(
        "/councils/history", params={"entity": entity, "id": ident}, headers=api.auth("auditor")
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


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
    entries = await history(api, "membership", member["id"])
    assert [(e["action"], e["actor_subject"], e["actor_role"]) for e in entries] == [
        ("create", "officer-7", "district_officer"),
        ("update", "tester", "city_officer"),
    ]
    assert entries[0]["before"] is None and entries[0]["after"]["organization"]["name_ko"] == "협치은평구회의"  # type: ignore[index]
    assert entries[1]["before"]["end_date"] is None  # type: ignore[index]
    assert entries[1]["after"]["end_date"] == "2017-06-19"  # type: ignore[index]
    assert entries[1]["request_id"]
    body_entries = await history(api, "body", body["id"])
    assert body_entries[0]["after"]["name_ko"] == "협치은평구회의"  # type: ignore[index]


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


async def test_korean_is_stored_as_text(committed_api: Api, database: Database) -> None:
    body = await committed_api.body(name_ko="협치서울지역협의회 (기록 시험)")
    engine = create_async_engine(async_url(database.service_urls["councils"]))
    try:
        async with engine.connect() as conn:
            stored = await conn.scalar(
                text("SELECT after::text FROM audit_log WHERE entity_type = 'body' AND entity_id = :id"),
                {"id": str(body["id"])},
            )
    finally:
        await engine.dispose()
    assert "협치서울지역협의회 (기록 시험)" in stored and "\\u" not in stored
