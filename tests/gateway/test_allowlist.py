"""Each service's public paths: fetched once, kept for a while, kept stale over a failed refresh, and
never guessed (no table and no service: the request is not forwarded)."""

from typing import Any

import httpx
import pytest

from gateway.allowlist import RouteTables
from gateway.routes import Route

ROUTE = Route("/budget/", "budget")
SPEC: dict[str, Any] = {"paths": {"/budget/cycles": {"get": {}}, "/metrics": {"get": {}}}}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Service:
    def __init__(self) -> None:
        self.fetches = 0
        self.up = True

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/openapi.json"
        self.fetches += 1
        if not self.up:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=SPEC)


@pytest.fixture
def service() -> Service:
    return Service()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tables(service: Service, clock: Clock) -> RouteTables:
    client = httpx.AsyncClient(base_url="http://budget", transport=httpx.MockTransport(service.handle))
    return RouteTables({"budget": client}, ttl=30, timeout=1, clock=clock)


async def test_the_table_is_fetched_once_and_kept_until_its_ttl(
    tables: RouteTables, service: Service, clock: Clock
) -> None:
    table = await tables.table(ROUTE)
    assert table.methods("/budget/cycles") == {"GET"} and table.methods("/metrics") is None
    clock.now += 29.999
    await tables.table(ROUTE)
    assert service.fetches == 1
    clock.now += 0.001
    await tables.table(ROUTE)
    assert service.fetches == 2


async def test_a_failed_refresh_keeps_the_last_table(
    tables: RouteTables, service: Service, clock: Clock
) -> None:
    await tables.table(ROUTE)
    service.up = False
    clock.now += 30
    assert (await tables.table(ROUTE)).methods("/budget/cycles") is not None
    await tables.table(ROUTE)
    assert service.fetches == 2  # the stale table counts as fresh for another ttl


async def test_without_any_table_the_failure_is_raised(tables: RouteTables, service: Service) -> None:
    service.up = False
    with pytest.raises(httpx.ConnectError):
        await tables.table(ROUTE)


async def test_a_spec_that_is_not_json_is_a_transport_failure(clock: Clock) -> None:
    client = httpx.AsyncClient(
        base_url="http://budget", transport=httpx.MockTransport(lambda r: httpx.Response(200, text="<html>"))
    )
    with pytest.raises(httpx.DecodingError):
        await RouteTables({"budget": client}, 30, 1, clock).table(ROUTE)
