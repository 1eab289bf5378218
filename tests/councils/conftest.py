"""Councils fixtures: a committed client for race tests (separate sessions, real commits)."""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from tests.conftest import Database, own_database, pooled_client
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
    async with pooled_client(create_app(CouncilsSettings(database_url=url)), url, 12, 4) as client:
        yield client


@pytest.fixture
def api(councils: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> Api:
    return Api(councils, auth)


@pytest.fixture
def committed_api(committed: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> Api:
    return Api(committed, auth)
