"""Councils fixtures: a committed client for race tests (separate sessions, real commits)."""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import create_sessionmaker
from shared.settings import async_url
from tests.conftest import Database, own_database
from tests.councils.helpers import Api


@pytest.fixture(scope="session")
def committed_database(database: Database) -> Database:
    """What the committed tests write stays for the run, so it goes to a database of its own: a race's leads
    fill a district's two seats in a far-future year, which a rolled-back test's open-ended lead reaches."""
    return own_database(database, "seoul_test_councils_committed")


@pytest.fixture
async def committed(committed_database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The councils app on its own pool: each request is its own committed unit of work, as in production."""
    from services.councils.main import create_app
    from services.councils.settings import CouncilsSettings

    url = committed_database.service_urls["councils"]
    app = create_app(CouncilsSettings(database_url=url))
    engine = create_async_engine(async_url(url), pool_size=12, max_overflow=4)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            yield client
    finally:
        await engine.dispose()


@pytest.fixture
def api(councils: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> Api:
    return Api(councils, auth)


@pytest.fixture
def committed_api(committed: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> Api:
    return Api(committed, auth)
