"""Test harness: a real PostgreSQL, real migrations, one rolled-back transaction per test.

The database is TEST_DATABASE_URL when set (an administrator's URL, e.g. the machine's
postgresql://postgres@127.0.0.1:5432/seoul_test), otherwise an embedded PostgreSQL under .data/pg-test.
The test database is dropped and created again at the start of every run.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine

from ops.devdb import EmbeddedPostgres, ensure_database
from ops.migrate import migrate_all
from shared.auth import Role, mint_token
from shared.db import create_sessionmaker
from shared.settings import SERVICES, CommonSettings, async_url

ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("SEOUL_SHARED_DIR") or ROOT.parent / "shared")
TEST_SECRET = "test-only-jwt-secret-0123456789abcdef"
pytest_plugins = ["tests.clock"]  # the pinned-clock fixtures `pinned` and `hour`
os.environ.setdefault("APP_ENV", "test")
os.environ.setdefault("JWT_SECRET", TEST_SECRET)


def require_shared(path: Path) -> Path:
    """The path under ../shared, or a skip outside CI; in CI (CI=true) missing data fails the test."""
    if not path.exists():
        message = f"{path} not found: the shared data sits beside the repo (or set SEOUL_SHARED_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class Database:
    admin_url: str
    service_urls: dict[str, str]


@pytest.fixture(scope="session")
def database() -> Iterator[Database]:
    admin_url = os.environ.get("TEST_DATABASE_URL")
    embedded = None
    if not admin_url:
        port = int(os.environ.get("TEST_PG_PORT", "30439"))  # below the ephemeral range: no client takes it
        embedded = EmbeddedPostgres(ROOT / ".data" / "pg-test", port)
        embedded.start()
        admin_url = embedded.admin_url("seoul_test")
    asyncio.run(ensure_database(admin_url, recreate=True))
    urls = migrate_all(admin_url)
    try:
        yield Database(admin_url=admin_url, service_urls=urls)
    finally:
        if embedded is not None and not os.environ.get("TEST_PG_KEEP"):
            embedded.stop()


def own_database(database: Database, name: str, services: tuple[str, ...] = SERVICES) -> Database:
    """A database of its own beside the test database, created again and migrated (only `services`' schemas:
    about a second each): for tests whose writes commit (races, real processes, browser tests), so the
    rolled-back unit tests never see what they leave."""
    admin_url = database.admin_url.rsplit("/", 1)[0] + "/" + name
    asyncio.run(ensure_database(admin_url, recreate=True))
    return Database(admin_url=admin_url, service_urls=migrate_all(admin_url, services))


@pytest.fixture(scope="session")
def settings() -> CommonSettings:
    return CommonSettings()


@pytest.fixture(scope="session")
def token(settings: CommonSettings) -> Callable[..., str]:
    """token(role, district=None, subject=...) -> a signed bearer token."""

    def make(role: Role | str, district: str | None = None, subject: str = "tester") -> str:
        # An agency token always names its organisation (else it is refused); tests of the agency side
        # mint their own with the organisation they need.
        organization_id = 1 if role == Role.agency else None
        return mint_token(
            settings, subject=subject, role=role, district_code=district, organization_id=organization_id
        )

    return make


@pytest.fixture(scope="session")
def auth(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """auth(role, district=None) -> headers carrying a bearer token."""

    def make(role: Role | str, district: str | None = None, subject: str = "tester") -> dict[str, str]:
        return {"Authorization": f"Bearer {token(role, district, subject)}"}

    return make


class ServiceHarness:
    """A service app in-process, bound to one connection whose outer transaction each test rolls back."""

    def __init__(self, app: FastAPI, engine: AsyncEngine) -> None:
        self.app = app
        self.engine = engine

    async def client(self) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncConnection]]:
        async with self.engine.connect() as conn:
            outer = await conn.begin()
            self.app.state.engine = self.engine
            self.app.state.sessionmaker = async_sessionmaker(
                bind=conn, expire_on_commit=False, autoflush=False, join_transaction_mode="create_savepoint"
            )
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield client, conn
            await outer.rollback()


def _harness(database: Database, service: str, factory: Callable[[Any], FastAPI], settings_cls: Any) -> Any:
    url = database.service_urls[service]
    settings = settings_cls(database_url=url)
    engine = create_async_engine(async_url(url), pool_size=5)
    return ServiceHarness(factory(settings), engine)


@pytest.fixture(scope="session")
def councils_harness(database: Database) -> ServiceHarness:
    from services.councils.main import create_app
    from services.councils.settings import CouncilsSettings

    return _harness(database, "councils", create_app, CouncilsSettings)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def budget_harness(database: Database) -> ServiceHarness:
    from services.budget.main import create_app
    from services.budget.settings import BudgetSettings

    return _harness(database, "budget", create_app, BudgetSettings)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def evaluation_harness(database: Database) -> ServiceHarness:
    from services.evaluation.main import create_app
    from services.evaluation.settings import EvaluationSettings

    return _harness(database, "evaluation", create_app, EvaluationSettings)  # type: ignore[no-any-return]


@asynccontextmanager
async def pooled_client(
    app: FastAPI, url: str, pool_size: int, max_overflow: int
) -> AsyncIterator[httpx.AsyncClient]:
    """`app` on a pool of its own over `url`: each request is its own committed unit of work, as in
    production, on separate connections (races)."""
    engine = create_async_engine(async_url(url), pool_size=pool_size, max_overflow=max_overflow)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as client:
            yield client
    finally:
        await engine.dispose()


@pytest.fixture
async def councils(councils_harness: ServiceHarness) -> AsyncIterator[httpx.AsyncClient]:
    async for client, _ in councils_harness.client():
        yield client


@pytest.fixture
async def budget(budget_harness: ServiceHarness) -> AsyncIterator[httpx.AsyncClient]:
    async for client, _ in budget_harness.client():
        yield client


@pytest.fixture
async def evaluation(evaluation_harness: ServiceHarness) -> AsyncIterator[httpx.AsyncClient]:
    async for client, _ in evaluation_harness.client():
        yield client


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and names this field)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    if field is not None:
        fields = [error["field"] for error in body.get("errors", [])]
        assert field in fields, f"{field} not in {fields}"
    return body


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fuzz tests commit random records through the real system: they run after every other test."""
    items.sort(key=lambda item: item.get_closest_marker("fuzz") is not None)
