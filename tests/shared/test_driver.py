"""The hot paths' bare asyncpg connection: no transaction on a real pool, the caller's when bound to one,
database refusals and outages as problems; Core statements compiled once for it."""

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Integer, String, bindparam, column, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.db import create_sessionmaker
from shared.driver import Statement, driver_connection
from shared.problems import Conflict, DatabaseUnavailable, RuleViolation
from shared.settings import async_url
from tests.conftest import Database

_districts = table("districts", column("code"), column("name_ko"), schema="councils")


def _request(sessionmaker: async_sessionmaker[AsyncSession]) -> Any:
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(sessionmaker=sessionmaker)))


@pytest.fixture
async def engine(database: Database) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(database.service_urls["councils"]), pool_size=1, max_overflow=0)
    try:
        yield engine
    finally:
        await engine.dispose()


def test_a_statement_is_compiled_once_with_its_parameters_in_order() -> None:
    statement = Statement.of(
        select(_districts.c.name_ko)
        .where(_districts.c.code == bindparam("code", type_=String))
        .limit(bindparam("limit", type_=Integer, value=5))
    )
    assert "$1" in statement.sql and "$2" in statement.sql
    assert statement.names == ("code", "limit")
    assert statement.args({"code": "11110"}) == ["11110", 5]


async def test_on_a_pool_no_transaction_is_opened_and_korean_round_trips(engine: AsyncEngine) -> None:
    code = bindparam("code", type_=String)
    one = Statement.of(select(_districts.c.name_ko).where(_districts.c.code == code))
    async with driver_connection(_request(create_sessionmaker(engine))) as connection:
        row = await one.fetchrow(connection, code="11110")
        assert row is not None and row["name_ko"] == "종로구"
        assert not connection.is_in_transaction()
    async with create_sessionmaker(engine)() as session:  # the connection went back as it was
        await session.execute(text("SELECT 1"))
        raw = await (await session.connection()).get_raw_connection()
        assert raw.driver_connection.is_in_transaction()


async def test_bound_to_a_transaction_it_reads_and_writes_inside_it(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        outer = await conn.begin()
        await conn.execute(text("INSERT INTO councils.districts (code, name_ko) VALUES ('11105', '시험구')"))
        sessionmaker = async_sessionmaker(bind=conn, join_transaction_mode="create_savepoint")
        async with driver_connection(_request(sessionmaker)) as connection:
            found = await connection.fetchval("SELECT name_ko FROM councils.districts WHERE code = '11105'")
        assert found == "시험구"
        again = "INSERT INTO councils.districts (code, name_ko) VALUES ('11105', 'x')"
        with pytest.raises(Conflict):  # refused in its savepoint: the caller's transaction goes on
            async with driver_connection(_request(sessionmaker)) as connection:
                await connection.execute(again)
        still = await conn.scalar(text("SELECT name_ko FROM councils.districts WHERE code = '11105'"))
        assert still == "시험구"
        await outer.rollback()


async def test_database_refusals_are_problems(engine: AsyncEngine) -> None:
    request = _request(create_sessionmaker(engine))
    with pytest.raises(RuleViolation):  # refused by asyncpg before it is sent
        async with driver_connection(request) as connection:
            await connection.fetchval("SELECT 1 WHERE 1 = $1::int4", 2**40)
    with pytest.raises(Conflict):
        async with driver_connection(request) as connection:
            await connection.execute("INSERT INTO councils.districts (code, name_ko) VALUES ('11110', 'x')")


async def test_an_unreachable_database_is_unavailable() -> None:
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none", pool_size=1, max_overflow=0)
    try:
        with pytest.raises(DatabaseUnavailable):
            async with driver_connection(_request(create_sessionmaker(engine))) as connection:
                await connection.fetchval("SELECT 1")
    finally:
        await engine.dispose()
