"""Several processes of one service behind one upstream: round-robin, and a replica that cannot be
reached is skipped.

Kubernetes normally puts a service's replicas behind one Service URL and spreads connections itself;
a list of URLs is for processes started side by side (`make run`-style, tests/e2e/test_replicas.py).

Each replica has its own pooled transport and its own breaker. A request goes to the next replica in
turn whose breaker lets it through. When connecting to it fails (refused, or no connection within the
connect timeout) the request was provably not sent, so it goes to the next replica, whatever its method,
as long as its body is in memory (a streamed body is sent once). Any other failure is the caller's
(the gateway's relay retries a safe request once, which then lands on the next replica).
"""

import itertools

import httpx

from shared.breaker import CircuitBreaker

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)


class Replica:
    def __init__(self, url: str, transport: httpx.AsyncBaseTransport, breaker: CircuitBreaker) -> None:
        parsed = httpx.URL(url)
        self.url = url
        self.scheme, self.host, self.port = parsed.scheme, parsed.host, parsed.port
        self.transport = transport
        self.breaker = breaker


class ReplicaSet(httpx.AsyncBaseTransport):
    """An httpx transport over a service's replicas: requests built for the first replica's URL are sent
    to the chosen replica's scheme, host and port (replicas of one service share the path)."""

    def __init__(self, replicas: list[Replica]) -> None:
        if not replicas:
            raise ValueError("a service needs at least one replica")
        self.replicas = replicas
        self._turn = itertools.count()

    def _candidates(self) -> list[Replica]:
        start = next(self._turn) % len(self.replicas)
        return self.replicas[start:] + self.replicas[:start]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if len(self.replicas) == 1:
            return await self.replicas[0].transport.handle_async_request(request)
        try:
            request.content  # noqa: B018 (raises for a streamed body)
            resendable = True
        except httpx.RequestNotRead:
            resendable = False
        last: httpx.TransportError | None = None
        for replica in self._candidates():
            if not replica.breaker.allow():
                continue
            request.url = request.url.copy_with(scheme=replica.scheme, host=replica.host, port=replica.port)
            try:
                response = await replica.transport.handle_async_request(request)
            except _NOT_SENT as exc:
                replica.breaker.failed()
                if not resendable:
                    raise
                last = exc
                continue
            except httpx.TransportError:
                replica.breaker.failed()
                raise
            except BaseException:
                replica.breaker.released()
                raise
            replica.breaker.succeeded()
            return response
        raise last or httpx.ConnectError("no replica of the service can be reached now", request=request)

    async def aclose(self) -> None:
        for replica in self.replicas:
            await replica.transport.aclose()
