"""Councils fixtures: a committed client for race tests (separate sessions, real commits)."""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import create_sessionmaker
from shared.settings import async_url
from tests.conftest import Database
from tests.councils.helpers import Api


@pytest.fixture
async def committed(database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The councils app on its own pool: each request is its own committed unit of work, as in production."""
    from services.councils.main import create_app
    from services.councils.settings import CouncilsSettings

    url = database.service_urls["councils"]
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
