"""The SQL statements a service sends while a block runs, for the tests that bound how many a read takes."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


@contextmanager
def statements(through: AsyncEngine | AsyncConnection) -> Iterator[list[str]]:
    """Every statement sent through `through` (an engine, or a connection all the app's sessions are bound
    to) while the block runs."""
    target = through.sync_engine if isinstance(through, AsyncEngine) else through.sync_connection
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(target, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", record)
