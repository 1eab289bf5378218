"""A service's background loop for the life of a block: the outbox relay, budget's council re-check."""

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any


@asynccontextmanager
async def in_background(
    run: Callable[[asyncio.Event], Coroutine[Any, Any, None]], name: str, stop_seconds: float = 10
) -> AsyncIterator[None]:
    """Run `run(stop)` as a task during the block; after it, set `stop` and give the loop `stop_seconds` to
    finish its pass before cancelling it."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(stop), name=name)
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=stop_seconds)
        except TimeoutError:
            task.cancel()
