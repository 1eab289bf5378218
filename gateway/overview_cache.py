"""The district overview's short cache and its entity tags.

Every visitor of a district's page asks for the same overview, so the gateway keeps each complete anonymous
answer for `GATEWAY_OVERVIEW_CACHE_SECONDS` (2 s by default), then serves it for as long again while one
background refresh runs (so that no visitor waits for a refresh and the p99 stays low): a page may be about
that many seconds stale after a change made outside the gateway (the evaluation → budget relay, a script),
at worst the setting plus two fetches (each part bounded by its deadline). Any write the gateway relays
empties the cache at once, and an answer fetched while a write went through is not kept (the generation
check). Concurrent misses of one key share one fetch. Answers with a missing part are never kept, so a
recovered service shows at the next request. A caller with a token is never served from the cache: the
services apply that caller's visibility rules.

The ETag is a hash of the answer's bytes, so it is exact: it changes when any part changes, and a visitor
whose copy is current gets 304 without a body.
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

_clock = time.monotonic
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    complete: bool


def entity_tag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, `*` matches any current representation."""
    if if_none_match is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


class OverviewCache:
    def __init__(self, seconds: float, max_entries: int = 256) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self.generation = 0
        self.entries: dict[Hashable, tuple[float, Rendered]] = {}
        self.pending: dict[Hashable, asyncio.Future[Rendered]] = {}
        self.refreshing: set[asyncio.Task[Rendered]] = set()

    def invalidate(self) -> None:
        self.generation += 1
        self.entries.clear()

    async def get(self, key: Hashable, fetch: Callable[[], Awaitable[Rendered]]) -> Rendered:
        if self.seconds <= 0:
            return await fetch()
        hit = self.entries.get(key)
        if hit is not None:
            expires, rendered = hit
            now = _clock()
            if now < expires:
                return rendered
            if now < expires + self.seconds:  # stale: answered at once while one refresh runs
                if key not in self.pending:
                    future, generation = self._begin(key)
                    refresh = asyncio.create_task(self._lead(key, fetch, future, generation))
                    self.refreshing.add(refresh)
                    refresh.add_done_callback(lambda task: self._refreshed(task, key, future))
                return rendered
        if (shared := self.pending.get(key)) is not None:
            try:
                return await asyncio.shield(shared)
            except asyncio.CancelledError:
                me = asyncio.current_task()
                if not shared.cancelled() or (me is not None and me.cancelling()):
                    raise
                return await fetch()  # the caller that was fetching went away; this one fetches itself
        return await self._lead(key, fetch, *self._begin(key))

    def _begin(self, key: Hashable) -> tuple["asyncio.Future[Rendered]", int]:
        """Registered before any await, so that no second fetch of the key starts meanwhile."""
        future: asyncio.Future[Rendered] = asyncio.get_running_loop().create_future()
        self.pending[key] = future
        return future, self.generation

    async def _lead(
        self,
        key: Hashable,
        fetch: Callable[[], Awaitable[Rendered]],
        future: "asyncio.Future[Rendered]",
        generation: int,
    ) -> Rendered:
        """Fetch for every caller of this key, and keep the answer unless a write went through meanwhile."""
        try:
            rendered = await fetch()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            del self.pending[key]
        future.set_result(rendered)
        if rendered.complete and generation == self.generation:
            if len(self.entries) >= self.max_entries:
                self.entries.clear()
            self.entries[key] = (_clock() + self.seconds, rendered)
        elif not rendered.complete:
            self.entries.pop(key, None)  # a part is missing now: the stale answer is not served again
        return rendered

    def _refreshed(
        self, task: "asyncio.Task[Rendered]", key: Hashable, future: "asyncio.Future[Rendered]"
    ) -> None:
        self.refreshing.discard(task)
        if self.pending.get(key) is future:  # cancelled before it ran (shutdown): release its waiters
            del self.pending[key]
            future.cancel()
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.warning("refreshing a cached overview failed: %r", exc)
