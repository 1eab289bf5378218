"""The read-only unit of work: no transaction on a real pool, the caller's transaction when bound to one."""

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.db import create_sessionmaker, get_read_session
from shared.problems import RuleViolation
from shared.settings import async_url
from tests.conftest import Database


def _request(sessionmaker: async_sessionmaker[AsyncSession]) -> Any:
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(sessionmaker=sessionmaker)))


async def _in_transaction(session: AsyncSession) -> bool:
    raw = await (await session.connection()).get_raw_connection()
    return bool(raw.driver_connection.is_in_transaction())


@pytest.fixture
async def engine(database: Database) -> AsyncIterator[AsyncEngine]:
    # One connection, so that the next session is sure to get the one the read session used.
    engine = create_async_engine(async_url(database.service_urls["councils"]), pool_size=1, max_overflow=0)
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_a_read_session_on_a_pool_opens_no_transaction(engine: AsyncEngine) -> None:
    sessions = get_read_session(_request(create_sessionmaker(engine)))
    session = await anext(sessions)
    count = await session.scalar(text("SELECT count(*) FROM councils.districts"))
    assert count == 25
    assert not await _in_transaction(session)
    await sessions.aclose()
    # The connection went back to the pool in its default isolation: a unit of work that writes has its BEGIN.
    async with create_sessionmaker(engine)() as session:
        await session.execute(text("SELECT 1"))
        assert await _in_transaction(session)


async def test_a_read_session_bound_to_a_transaction_reads_inside_it(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        outer = await conn.begin()
        await conn.execute(text("INSERT INTO councils.districts (code, name_ko) VALUES ('11105', '시험구')"))
        sessionmaker = async_sessionmaker(bind=conn, join_transaction_mode="create_savepoint")
        sessions = get_read_session(_request(sessionmaker))
        session = await anext(sessions)
        found = await session.scalar(text("SELECT name_ko FROM councils.districts WHERE code = '11105'"))
        assert found == "시험구"
        await sessions.aclose()
        await outer.rollback()


async def test_a_read_session_turns_database_refusals_into_problems(engine: AsyncEngine) -> None:
    sessions = get_read_session(_request(create_sessionmaker(engine)))
    session = await anext(sessions)
    try:
        await session.execute(text("SELECT 1 WHERE 1 = :n"), {"n": 2**40})  # beyond an int4 parameter
    except DBAPIError as exc:
        with pytest.raises(RuleViolation):
            await sessions.athrow(exc)
    else:
        pytest.fail("the out-of-range parameter was accepted")
