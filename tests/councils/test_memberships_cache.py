"""The membership search page's cache (common/read_cache.py, migration 0008): a write of any table the page
reads is seen by the next read; the cache's own bounds. Two processes: tests/e2e/test_replicas.py."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.councils.common.read_cache import VERSION_SQL, Connect, VersionedCache, VersionReads
from tests.conftest import ServiceHarness
from tests.councils.helpers import Api, unique


@pytest.fixture
async def api_and_connection(
    councils_harness: ServiceHarness, auth: Callable[..., dict[str, str]]
) -> AsyncIterator[tuple[Api, AsyncConnection]]:
    """The councils client and the connection its requests run on (in the test's transaction)."""
    async for client, connection in councils_harness.client():
        yield Api(client, auth), connection


async def _page(api: Api, **params: object) -> list[dict[str, Any]]:
    response = await api.client.get("/councils/memberships", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_every_write_the_page_reads_is_in_the_next_page(api: Api) -> None:
    body = await api.body(district_code="11110", classification="tft")
    person = await api.person()
    seat = await api.membership(organization_id=body["id"], person_id=person["id"])
    query = {"organization_id": body["id"], "kind": "tft"}
    assert [item["id"] for item in await _page(api, **query)] == [seat["id"]]
    assert await _page(api, **query) == await _page(api, **query)  # the second one from the cache

    name = unique("김철수")
    renamed = await api.client.patch(
        f"/councils/persons/{person['id']}", json={"name_ko": name}, headers=api.city
    )
    assert renamed.status_code == 200, renamed.text
    assert (await _page(api, **query))[0]["person"]["name_ko"] == name

    body_name = unique("협치회의")
    response = await api.client.patch(
        f"/councils/bodies/{body['id']}", json={"name_ko": body_name}, headers=api.city
    )
    assert response.status_code == 200, response.text
    assert (await _page(api, **query))[0]["organization"]["name_ko"] == body_name

    response = await api.client.patch(
        f"/councils/memberships/{seat['id']}", json={"label": "위원장 직무대행"}, headers=api.city
    )
    assert response.status_code == 200, response.text
    assert (await _page(api, **query))[0]["label"] == "위원장 직무대행"

    second = await api.membership(organization_id=body["id"], sector="official")
    assert [item["id"] for item in await _page(api, **query)] == [seat["id"], second["id"]]

    response = await api.client.delete(f"/councils/memberships/{second['id']}", headers=api.city)
    assert response.status_code == 204, response.text
    assert [item["id"] for item in await _page(api, **query)] == [seat["id"]]


async def test_each_write_statement_of_the_pages_tables_changes_the_version(
    api_and_connection: tuple[Api, AsyncConnection],
) -> None:
    api, councils_connection = api_and_connection
    body = await api.body()

    async def version() -> int:
        value: int = await councils_connection.scalar(text("SELECT version FROM councils.registry_version"))
        return value

    seen = [await version()]
    for statement in (
        "UPDATE councils.organizations SET name_en = 'x' WHERE id = :id",
        "UPDATE councils.persons SET note = 'x' WHERE false",  # no row: a statement all the same
        "DELETE FROM councils.memberships WHERE organization_id = :id",
    ):
        await councils_connection.execute(text(statement), {"id": body["id"]})
        seen.append(await version())
    assert len(set(seen)) == len(seen)


def test_the_cache_serves_only_what_was_built_at_the_version_asked() -> None:
    cache = VersionedCache(max_bytes=800)
    cache.put("a", 1, b"page a")
    assert cache.get("a", 1) == b"page a"
    assert cache.get("a", 2) is None
    assert cache.get("b", 1) is None
    cache.put("a", 2, b"page a, again")
    assert cache.get("a", 2) == b"page a, again" and cache.get("a", 1) is None


def test_the_cache_drops_the_least_recently_used_past_its_bytes() -> None:
    cache = VersionedCache(max_bytes=800)
    for key in "abcdefgh":
        cache.put(key, 1, key.encode() * 100)
    cache.get("a", 1)  # used: "b" is now the oldest
    cache.put("i", 1, b"i" * 100)
    assert cache.get("b", 1) is None
    assert cache.get("a", 1) == b"a" * 100 and cache.get("i", 1) == b"i" * 100
    cache.put("big", 1, b"x" * 101)  # more than an eighth of the bound: not kept
    assert cache.get("big", 1) is None and cache.get("c", 1) == b"c" * 100


class _Database:
    """A stand-in for `connect`: each version read waits until `answer` lets it through."""

    def __init__(self) -> None:
        self.version = 1
        self.sent: list[int] = []  # the version current when each read was sent
        self.gate = asyncio.Event()
        self.fail: Exception | None = None

    @asynccontextmanager
    async def connect(self) -> AsyncIterator["_Database"]:
        yield self

    async def fetchval(self, sql: str) -> int:
        assert sql == VERSION_SQL
        version = self.version  # what a read sees is fixed when it is sent
        self.sent.append(version)
        await self.gate.wait()
        self.gate.clear()
        if self.fail is not None:
            raise self.fail
        return version

    async def answer(self) -> None:
        self.gate.set()
        for _ in range(5):  # let the readers and waiters run
            await asyncio.sleep(0)


async def test_a_shared_version_read_is_one_sent_after_each_request_arrived() -> None:
    database = _Database()
    versions = VersionReads()
    connect = cast(Connect, database.connect)
    first = asyncio.create_task(versions.current(connect))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert database.sent == [1]  # on its way
    database.version = 2  # a write commits while it is: later requests must see it
    second = [asyncio.create_task(versions.current(connect)) for _ in range(3)]
    await asyncio.sleep(0)
    await database.answer()
    assert await first == 1
    assert not any(task.done() for task in second)  # they wait for the next read, not the one before them
    assert database.sent == [1, 2]
    await database.answer()
    assert [await task for task in second] == [2, 2, 2]
    assert database.sent == [1, 2]  # one read for the three


async def test_a_failed_version_read_fails_its_waiters_and_not_the_next() -> None:
    database = _Database()
    versions = VersionReads()
    connect = cast(Connect, database.connect)
    waiting = [asyncio.create_task(versions.current(connect)) for _ in range(2)]
    await asyncio.sleep(0)
    database.fail = RuntimeError("database away")
    await database.answer()
    for task in waiting:
        with pytest.raises(RuntimeError, match="database away"):
            await task
    database.fail = None
    later = asyncio.create_task(versions.current(connect))
    await asyncio.sleep(0)
    await database.answer()
    assert await later == 1


async def test_a_cancelled_request_stops_no_other_waiting_for_the_version() -> None:
    database = _Database()
    versions = VersionReads()
    connect = cast(Connect, database.connect)
    gone, kept = (asyncio.create_task(versions.current(connect)) for _ in range(2))
    await asyncio.sleep(0)
    gone.cancel()
    await database.answer()
    assert gone.cancelled()
    assert await kept == 1


async def test_a_cached_body_read_shows_the_next_write_and_its_etag(api: Api) -> None:
    body = await api.body(district_code="11110", classification="tft")
    url = f"/councils/bodies/{body['id']}"
    first, again = await api.client.get(url), await api.client.get(url)  # the second one from the cache
    assert first.status_code == again.status_code == 200, first.text
    assert (first.content, first.headers["etag"]) == (again.content, again.headers["etag"])
    name = unique("협치회의")
    response = await api.client.patch(url, json={"name_ko": name}, headers=api.city)
    assert response.status_code == 200, response.text
    after = await api.client.get(url)
    assert after.json()["name_ko"] == name and after.json() == response.json()
    assert after.headers["etag"] == response.headers["etag"] != first.headers["etag"]
