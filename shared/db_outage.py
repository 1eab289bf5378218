"""PostgreSQL going away (a restart, a failover, a refused connection) as a 503, never a 500.

Two parts. The pool hands out no connection it already knows is closed: asyncpg marks a
connection closed as soon as the server's goodbye (a fast shutdown's 57P01 and EOF) reaches the
event loop, so checking it at checkout costs no round trip, unlike `pool_pre_ping`. A failure that
still happens (the server went away mid-request, or is down) is recognised by
:func:`is_database_outage` and answered 503 `database-unavailable` with Retry-After
(shared.problems.DatabaseUnavailable).
"""

import socket
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

# 08xxx connection exceptions; 57P01-57P03 admin shutdown, crash shutdown, cannot connect now
# (starting up or shutting down); 53300 too many connections.
_OUTAGE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (SQLAlchemy's `orig`) and its causes, each once."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or any(current is known for known in seen) or len(seen) > 16:
            continue
        seen.append(current)
        orig = getattr(current, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None, current.__cause__]
    return seen


def _is_outage_cause(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (asyncpg.PostgresConnectionError, ConnectionError, socket.gaierror)):
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _OUTAGE_SQLSTATES):
        return True
    # asyncpg's InterfaceError also means misuse; only its closed-connection form is an outage.
    return isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc)


def is_database_outage(exc: BaseException) -> bool:
    """Whether the error says the database went away or cannot be reached (not a bad statement)."""
    return any(_is_outage_cause(cause) for cause in _chain(exc))


def _discard_closed_connections(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    if dbapi_connection.driver_connection.is_closed():
        # The pool replaces the connection and checks out again (SQLAlchemy "pessimistic" handling).
        raise DisconnectionError("the server closed this pooled connection")


def guard_pool(engine: AsyncEngine) -> AsyncEngine:
    """Make the engine's pool replace connections the server has closed, at no round-trip cost."""
    event.listen(engine.sync_engine, "checkout", _discard_closed_connections)
    return engine
