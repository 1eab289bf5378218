"""Hot registry reads' response bytes, kept per process and served while the registry's data is unchanged.

Correct across replicas: before serving anything, a read fetches the registry's data version (migration
0008: changed in the transaction of every write of the tables it covers, so visible exactly when the data
is), one primary-key read sent after the request arrived; a cached answer is served only if it was built at
that version. An answer is built after its version was read, so its data is at least that version's: a write
that commits in between makes the next read fetch a newer version and build the answer again, never serve an
older one.

The version read is shared (`VersionReads`): the requests that arrive while one is on its way wait for the
next one, sent as soon as the first is back, and all of them take its answer. Each request's version is
still read after it arrived, so what it sees is as fresh as with a read of its own; under load one read (and
one pool checkout) serves every request that came in during a round trip.

A bounded least-recently-used map of bytes; a hand-written OrderedDict rather than a dependency
(cachetools has no byte-size bound either, and this is the whole of it). One event loop a process, no
await inside a method: no lock needed.
"""

import asyncio
import contextvars
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextlib import AbstractAsyncContextManager

import asyncpg

VERSION_SQL = "SELECT version FROM councils.registry_version"

Connect = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]
"""Opens a database connection for one statement (`partial(shared.driver.driver_connection, request)`)."""


async def registry_version(connection: asyncpg.Connection) -> int:
    """The registry's data version as of now (one primary-key read)."""
    version: int = await connection.fetchval(VERSION_SQL)
    return version


class VersionReads:
    """The registry's version for the requests of one process, one read for all those waiting when it is sent.

    A request waits for the first read sent after it arrived: when none is on its way, one is sent at once
    (by a task of its own, so that a cancelled request stops no one else's); while one is, the request waits
    for the next, sent when that one is back. An error of the read (a 503 when the database is away) is each
    waiting request's error. One event loop a process: no lock needed."""

    def __init__(self) -> None:
        self._waiting: list[tuple[asyncio.Future[int], Connect]] = []
        self._reader: asyncio.Task[None] | None = None

    async def current(self, connect: Connect) -> int:
        """The version as read after this call began."""
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((waiter, connect))
        if self._reader is None:
            # A context of its own: no request's id or span on what the reads log.
            self._reader = asyncio.create_task(self._read_for_waiting(), context=contextvars.Context())
        return await waiter

    async def _read_for_waiting(self) -> None:
        batch: list[tuple[asyncio.Future[int], Connect]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    async with batch[0][1]() as connection:  # a waiting request's connection
                        version = await registry_version(connection)
                except Exception as exc:
                    for waiter, _ in batch:
                        if not waiter.done():
                            waiter.set_exception(exc)
                    continue
                for waiter, _ in batch:
                    if not waiter.done():
                        waiter.set_result(version)
        finally:
            self._reader = None
            for waiter, _ in (*batch, *self._waiting):  # cancelled (the loop is closing): none left waiting
                waiter.cancel()


class VersionedCache:
    """Answers by key, each with the data version it was built at; the least recently used go first once
    their bytes pass `max_bytes`. An answer larger than `max_bytes / 8` is not kept."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()
        self._size = 0

    def get(self, key: Hashable, version: int) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] != version:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, version: int, body: bytes) -> None:
        if len(body) * 8 > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._size -= len(old[1])
        self._entries[key] = (version, body)
        self._size += len(body)
        while self._size > self.max_bytes:
            _, (_, evicted) = self._entries.popitem(last=False)
            self._size -= len(evicted)
