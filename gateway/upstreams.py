"""One long-lived HTTP client per upstream service, with explicit timeouts and pool limits."""

import httpx
from httpx_aiohttp import AiohttpTransport

from gateway.settings import GatewaySettings


def create_client(base_url: str, settings: GatewaySettings) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=settings.max_connections, max_keepalive_connections=settings.max_connections
    )
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.pool_timeout,
    )
    transport: httpx.AsyncBaseTransport
    if settings.transport == "aiohttp":
        transport = AiohttpTransport(limits=limits, trust_env=False)
    else:
        transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout, trust_env=False)


class Upstreams:
    """The gateway's clients, created in the lifespan and closed with it."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.clients = {name: create_client(url, settings) for name, url in settings.upstream_urls().items()}

    def client(self, name: str) -> httpx.AsyncClient:
        return self.clients[name]

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()
