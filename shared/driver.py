"""One statement straight on asyncpg, for the hot paths that run exactly one.

A session costs more than the statement it runs on a hot path: the ORM session and its transaction
bookkeeping, the connection's isolation level set and reset, the generator dependency that closes it, the
cursor adapter and the result's type processing. `driver_connection` hands out the request's pooled
connection as asyncpg's own instead (no BEGIN is sent: each statement is its own transaction), and
`Statement` is a Core statement compiled once for asyncpg, so that the SQL is still written with the
service's tables and not by hand. The connection comes from the request's sessionmaker, so a sessionmaker
bound to a connection already in a transaction (the tests' rolled-back one) is read and written inside it.

Errors come out as the session dependencies' do: the database going away is a 503 (and the connection is
dropped, never pooled again), a constraint or rule trigger a problem (`shared.db.translate_db_error`).
Only for statements whose result types need no SQLAlchemy processing (text, numbers, timestamps, bytea,
arrays of those), and never for a handler that writes more than once.
"""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import asyncpg
from asyncpg.exceptions._base import DataError as ArgumentError
from fastapi import Request
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util.concurrency import greenlet_spawn

from shared.db import translate_db_error
from shared.db_outage import is_database_outage
from shared.problems import DatabaseUnavailable, ProblemError

_DIALECT = asyncpg_dialect()


@dataclass(frozen=True, slots=True)
class Statement:
    """A Core statement compiled once to asyncpg's SQL (`$1`, `$2`…), with its parameters' names in order."""

    sql: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]

    @classmethod
    def of(cls, statement: ClauseElement) -> "Statement":
        compiled = statement.compile(dialect=_DIALECT)
        assert isinstance(compiled, SQLCompiler)
        names = tuple(compiled.positiontup or ())
        defaults = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        return cls(str(compiled), names, defaults)

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[name] if name in values else self.defaults[name] for name in self.names]

    async def fetch(self, connection: asyncpg.Connection, **values: Any) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await connection.fetch(self.sql, *self.args(values))
        return rows

    async def fetchrow(self, connection: asyncpg.Connection, **values: Any) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await connection.fetchrow(self.sql, *self.args(values))
        return row


@asynccontextmanager
async def driver_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """The request's database connection as asyncpg's, back to the pool when the block ends."""
    bind: AsyncEngine | AsyncConnection = request.app.state.sessionmaker.kw["bind"]
    if not isinstance(bind, AsyncEngine):
        driver: asyncpg.Connection = (await bind.get_raw_connection()).driver_connection
        # In a savepoint, as the sessions' `create_savepoint`: a refused statement leaves the caller's
        # transaction usable.
        async with _as_problems(None, driver), driver.transaction():
            yield driver
        return
    # Straight from the pool, no SQLAlchemy Connection (44 -> 28 µs of CPU a checkout and return, measured
    # alone). Nothing runs on it through SQLAlchemy: no transaction of its own is open, and returning it to
    # the pool sends nothing.
    async with _as_problems(None, None):
        pooled = await bind.raw_connection()
    try:
        driver = pooled.driver_connection
        async with _as_problems(pooled, driver):
            yield driver
    finally:
        await greenlet_spawn(pooled.close)


@asynccontextmanager
async def _as_problems(
    pooled: PoolProxiedConnection | None, driver: asyncpg.Connection | None
) -> AsyncIterator[None]:
    """Errors as problems; `pooled`, a connection of ours, is dropped when the database went away (any
    error that left the connection closed counts, as SQLAlchemy's `is_disconnect` has it)."""
    try:
        yield
    except ProblemError:
        raise
    except Exception as exc:
        if is_database_outage(exc) or (driver is not None and driver.is_closed()):
            if pooled is not None:
                with suppress(Exception):  # already gone: nothing more to release
                    await greenlet_spawn(pooled.invalidate)
            raise DatabaseUnavailable() from exc
        # ArgumentError: asyncpg refused to encode a parameter (out of its column's range) before sending it
        if not isinstance(exc, asyncpg.PostgresError | ArgumentError):
            raise
        problem = translate_db_error(DBAPIError(None, None, exc))
        if problem is None:
            raise
        raise problem from exc
