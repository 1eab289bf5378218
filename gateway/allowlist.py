"""Each service's public paths, read from its own OpenAPI document and kept for a while.

The table is fetched when a request for the service first arrives and refreshed after `ttl` seconds; a
failed refresh keeps the last table. With no table at all the gateway cannot tell a public path from an
internal one, so it refuses to forward (fail closed) and reports the service as unavailable.
"""

import asyncio
import time
from collections.abc import Callable

import httpx

from gateway.routes import PathTable, Route


class RouteTables:
    def __init__(
        self,
        clients: dict[str, httpx.AsyncClient],
        ttl: float,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = clients
        self.ttl = ttl
        self.timeout = timeout
        self._clock = clock
        self._tables: dict[str, tuple[float, PathTable]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def table(self, route: Route) -> PathTable:
        """The route's table; raises httpx.HTTPError when there is none and the service cannot give one."""
        cached = self._tables.get(route.upstream)
        if cached is not None and self._clock() - cached[0] < self.ttl:
            return cached[1]
        lock = self._locks.setdefault(route.upstream, asyncio.Lock())
        async with lock:
            cached = self._tables.get(route.upstream)
            if cached is not None and self._clock() - cached[0] < self.ttl:
                return cached[1]  # another request refreshed it while this one waited
            try:
                table = await self._fetch(route)
            except httpx.HTTPError:
                if cached is None:
                    raise
                table = cached[1]  # stale beats none; try again after another ttl
            self._tables[route.upstream] = (self._clock(), table)
            return table

    async def _fetch(self, route: Route) -> PathTable:
        response = await self.clients[route.upstream].get("/openapi.json", timeout=self.timeout)
        response.raise_for_status()
        try:
            spec = response.json()
        except ValueError as exc:
            raise httpx.DecodingError(str(exc), request=response.request) from exc
        if not isinstance(spec, dict):
            message = f"the {route.upstream} service's OpenAPI document is not an object"
            raise httpx.DecodingError(message, request=response.request)
        return PathTable.from_openapi(spec, route.prefix)
