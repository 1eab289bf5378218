"""The SQL statements a service sends while a block runs, for the tests that bound how many a read takes."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


@contextmanager
def statements(
    through: AsyncEngine | AsyncConnection, driver: asyncpg.Connection | None = None
) -> Iterator[list[str]]:
    """Every statement sent through `through` (an engine, or a connection all the app's sessions are bound
    to) while the block runs; with `driver` (that connection's asyncpg connection), also the statements the
    service sends on it without SQLAlchemy (shared/driver.py), which asyncpg logs unless prepared first."""
    target = through.sync_engine if isinstance(through, AsyncEngine) else through.sync_connection
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    def record_raw(query: asyncpg.connection.LoggedQuery) -> None:
        seen.append(query.query)

    event.listen(target, "before_cursor_execute", record)
    if driver is not None:
        driver.add_query_logger(record_raw)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", record)
        if driver is not None:
            driver.remove_query_logger(record_raw)
