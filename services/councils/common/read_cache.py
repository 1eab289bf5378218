"""Hot registry reads' response bytes, kept per process and served while the registry's data is unchanged.

Correct across replicas: before serving anything, a read fetches the registry's data version (migration
0008: changed in the transaction of every write of the tables it covers, so visible exactly when the data
is), one primary-key read; a cached answer is served only if it was built at that version. An answer is
built after its version was read, so its data is at least that version's: a write that commits in between
makes the next read fetch a newer version and build the answer again, never serve an older one.

A bounded least-recently-used map of bytes; a hand-written OrderedDict rather than a dependency
(cachetools has no byte-size bound either, and this is the whole of it). One event loop a process, no
await inside a method: no lock needed.
"""

from collections import OrderedDict
from collections.abc import Hashable

import asyncpg

VERSION_SQL = "SELECT version FROM councils.registry_version"


async def registry_version(connection: asyncpg.Connection) -> int:
    """The registry's data version as of now (one primary-key read)."""
    version: int = await connection.fetchval(VERSION_SQL)
    return version


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
