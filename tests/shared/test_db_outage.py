"""The database going away: closed pooled connections are replaced, failures are 503 + Retry-After."""

import asyncio
from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.app import create_service_app
from shared.db import ReadSessionDep, SessionDep, create_engine, create_sessionmaker
from shared.db_outage import is_database_outage
from shared.json_body import JsonBodyRoute
from shared.settings import ServiceSettings, plain_url
from tests.conftest import Database, assert_problem
from tests.e2e.conftest import free_port

POOL = 3


def _wrapped(cause: BaseException, *, invalidated: bool = False) -> DBAPIError:
    """A driver error as SQLAlchemy raises it: DBAPIError -> adapted DBAPI error -> asyncpg's error."""
    adapted = Exception(str(cause))
    adapted.__cause__ = cause
    return DBAPIError("SELECT 1", {}, adapted, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (asyncpg.AdminShutdownError("terminating connection due to administrator command"), True),
        (asyncpg.CrashShutdownError("terminating connection because of crash of another process"), True),
        (asyncpg.CannotConnectNowError("the database system is starting up"), True),
        (asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"), True),
        (asyncpg.TooManyConnectionsError("sorry, too many clients already"), True),
        (asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (ConnectionResetError(104, "Connection reset by peer"), True),
        # Not outages: the statement or the caller is at fault, the database is there.
        (asyncpg.QueryCanceledError("canceling statement due to statement timeout"), False),
        (asyncpg.UniqueViolationError("duplicate key value violates unique constraint"), False),
        (asyncpg.InterfaceError("cannot perform operation: another operation is in progress"), False),
        (FileNotFoundError(2, "No such file or directory"), False),
        (ValueError("bad input"), False),
    ],
)
def test_which_errors_mean_the_database_is_unavailable(error: BaseException, outage: bool) -> None:
    assert is_database_outage(error) is outage
    assert is_database_outage(_wrapped(error)) is outage


def test_a_connection_sqlalchemy_invalidated_is_an_outage() -> None:
    assert is_database_outage(_wrapped(Exception("gone"), invalidated=True))
    assert not is_database_outage(_wrapped(Exception("gone")))


@pytest.fixture
async def engine(database: Database) -> AsyncIterator[AsyncEngine]:
    settings = ServiceSettings(database_url=database.service_urls["councils"], db_pool_size=POOL)
    engine = create_engine(settings)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _pids(engine: AsyncEngine) -> set[int]:
    """The backends of POOL connections checked out at once (so all of the pool is used)."""
    connections = [await engine.connect() for _ in range(POOL)]
    try:
        return {await conn.scalar(text("SELECT pg_backend_pid()")) for conn in connections}
    finally:
        for conn in connections:
            await conn.close()


async def test_the_pool_replaces_every_connection_the_server_closed(
    engine: AsyncEngine, database: Database
) -> None:
    before = await _pids(engine)
    assert len(before) == POOL
    admin = await asyncpg.connect(plain_url(database.admin_url))
    try:
        await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", list(before))
        for _ in range(200):  # until the server has closed them all (and so sent their EOF)
            alive = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", list(before)
            )
            if alive == 0:
                break
            await asyncio.sleep(0.02)
    finally:
        await admin.close()
    await asyncio.sleep(0.05)  # let the event loop read the closed sockets
    after = await _pids(engine)
    assert len(after) == POOL and not after & before


def _unreachable_app() -> tuple[httpx.AsyncClient, AsyncEngine]:
    router = APIRouter(route_class=JsonBodyRoute)

    @router.get("/read")
    async def read(session: ReadSessionDep) -> int:
        return int(await session.scalar(text("SELECT 1")) or 0)

    @router.post("/write")
    async def write(session: SessionDep) -> int:
        return int(await session.scalar(text("SELECT 1")) or 0)

    url = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"  # nothing listens there
    settings = ServiceSettings(database_url=url, service_name="outage_test")
    app = create_service_app(settings=settings, title="t", description="t", routers=[router])
    engine = create_engine(settings)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    transport = httpx.ASGITransport(app=app)  # an exception escaping the app fails the test
    return httpx.AsyncClient(transport=transport, base_url="http://t"), engine


async def test_an_unreachable_database_is_a_503_with_retry_after(token: Callable[..., str]) -> None:
    client, engine = _unreachable_app()
    keyed = {"Authorization": f"Bearer {token('city_officer')}", "Idempotency-Key": "outage-1"}
    async with client:
        responses = [await client.get("/read"), await client.post("/write")]
        responses.append(await client.post("/write", headers=keyed))
        for response in responses:
            body = assert_problem(response, 503)
            assert body["code"] == "database-unavailable"
            assert int(response.headers["retry-after"]) > 0
        ready = await client.get("/readyz")
        assert_problem(ready, 503)
        assert int(ready.headers["retry-after"]) > 0
    await engine.dispose()


async def test_the_contract_documents_the_503() -> None:
    client, engine = _unreachable_app()
    async with client:
        spec = (await client.get("/openapi.json")).json()
    await engine.dispose()
    for path, method in (("/read", "get"), ("/write", "post")):
        assert "application/problem+json" in spec["paths"][path][method]["responses"]["503"]["content"]
