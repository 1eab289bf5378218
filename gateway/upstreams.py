"""One long-lived HTTP client per upstream service, with explicit timeouts and pool limits."""

from collections.abc import AsyncIterable

import httpx

from gateway.replicas import Replica, ReplicaSet
from gateway.settings import GatewaySettings
from shared.breaker import CircuitBreaker
from shared.transport import RelayRequest, RelayTransport

Content = bytes | AsyncIterable[bytes]


def create_transport(settings: GatewaySettings) -> httpx.AsyncBaseTransport:
    if settings.transport == "aiohttp":
        return RelayTransport(settings.max_connections, settings.upstream_keepalive_seconds)
    limits = httpx.Limits(
        max_connections=settings.max_connections,
        max_keepalive_connections=settings.max_connections,
        keepalive_expiry=settings.upstream_keepalive_seconds,
    )
    return httpx.AsyncHTTPTransport(limits=limits, trust_env=False)


def create_client(
    base_url: str, settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.pool_timeout,
    )
    transport = transport or create_transport(settings)
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout, trust_env=False)


class Upstream:
    """One upstream for the forwarding path: the client's own transport, driven directly.

    `AsyncClient.build_request` + `send` cost ~100 µs a request in URL merging, header merging, the auth and
    redirect machinery, the cookie jar and an INFO log line — none of which a relay needs (bench/README.md).
    The request built here has the client's URL and timeouts but only the caller's headers: a relay adds
    no User-Agent or Accept-Encoding the caller did not send (an upstream would otherwise compress for a
    caller that cannot decompress). Cookies are never stored: a relay must not replay one caller's cookies
    to another.
    """

    def __init__(
        self, client: httpx.AsyncClient, transport: httpx.AsyncBaseTransport, breaker: CircuitBreaker
    ) -> None:
        self.client = client
        self.transport = transport
        self.breaker = breaker
        # The client's base URL path ends in "/" ("http://host:8001" has path "/" but no "/" in str());
        # the relayed path always starts with one.
        self.prefix = str(client.base_url).removesuffix("/")
        self.extensions = {"timeout": client.timeout.as_dict()}

    def build_request(
        self, method: str, target: str, headers: list[tuple[bytes, bytes]], content: Content
    ) -> httpx.Request:
        """`target` is the raw path (and query) as received; `headers` have lower-case names, as in ASGI.

        A `RelayRequest`: the aiohttp transport sends it without parsing its URL or headers; to anything
        else it is the `httpx.Request(method, url, headers=headers, content=content)` it stands for.
        """
        return RelayRequest(method, self.prefix + target, headers, content, self.extensions)


class Upstreams:
    """The gateway's clients, created in the lifespan and closed with it."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.upstreams: dict[str, Upstream] = {}
        for name, urls in settings.upstream_urls().items():
            transport = ReplicaSet(
                [Replica(url, create_transport(settings), self._breaker(settings)) for url in urls]
            )
            breaker = self._breaker(settings)  # the service's: open when no replica answers
            self.upstreams[name] = Upstream(create_client(urls[0], settings, transport), transport, breaker)
        self.clients = {name: upstream.client for name, upstream in self.upstreams.items()}

    @staticmethod
    def _breaker(settings: GatewaySettings) -> CircuitBreaker:
        return CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds)

    def client(self, name: str) -> httpx.AsyncClient:
        return self.clients[name]

    def upstream(self, name: str) -> Upstream:
        return self.upstreams[name]

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()
