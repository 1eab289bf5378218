"""The one way a service tells its audit triggers who acts: transaction-local settings, gone at the end."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.audit import set_actor
from shared.auth import Identity, Role
from shared.db import create_sessionmaker
from shared.logging import request_id_var
from shared.service_auth import ServiceIdentity
from shared.settings import async_url
from tests.conftest import Database

SETTINGS = text(
    "SELECT current_setting('budget.actor', true), current_setting('budget.actor_role', true),"
    " current_setting('budget.reason', true), current_setting('budget.request_id', true)"
)


@pytest.fixture
async def engine(database: Database) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(database.service_urls["budget"]), pool_size=1, max_overflow=0)
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_the_actor_its_role_the_reason_and_the_request_last_until_the_transaction_ends(
    engine: AsyncEngine,
) -> None:
    officer = Identity(subject="officer-7", role=Role.district_officer, district_code="11380")
    token = request_id_var.set("req-42")
    try:
        async with create_sessionmaker(engine)() as session:
            await set_actor(session, "budget", officer, "정정 사유")
            assert tuple((await session.execute(SETTINGS)).one()) == (
                "officer-7",
                "district_officer",
                "정정 사유",
                "req-42",
            )
            await session.commit()
            # Transaction-local: the next transaction on the same connection starts with none set.
            assert tuple((await session.execute(SETTINGS)).one()) in {("", "", "", ""), (None,) * 4}
    finally:
        request_id_var.reset(token)


async def test_a_service_acts_as_itself_with_the_role_service(engine: AsyncEngine) -> None:
    async with create_sessionmaker(engine)() as session:
        await set_actor(session, "budget", ServiceIdentity(subject="service:evaluation"))
        actor, role, reason, request_id = (await session.execute(SETTINGS)).one()
    assert (actor, role, reason, request_id) == ("service:evaluation", "service", "", "")
