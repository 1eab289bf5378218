"""aiohttp underneath, httpx's interface on top, and pooled connections that are never handed out dead:
the transport of the gateway's relay and of the services' own client (shared/service_client.py).

A connection the upstream closed must not carry the next caller's request. Three ways it could:

* the upstream closes right after a response without saying so. uvicorn does this after any unhandled
  exception (a 500): the response is complete, then it closes the socket — later than the gateway has
  already put the connection back in its pool. Every answer of 500 or above therefore closes its
  connection here instead of returning it to the pool;
* the upstream's keep-alive timer closes an idle connection just as it is taken from the pool: the pool
  keeps idle connections for less time than the services do (`GatewaySettings.upstream_keepalive_seconds`);
* any other close that reached this machine but not yet the event loop: a connection taken from the pool
  is checked before a byte is written to it; one that is readable while idle (end of stream, or bytes no
  request asked for) is closed and another one is taken. The request on it was provably not sent, so
  this is safe for every method.

aiohttp itself retries an idempotent request once when a connection breaks before the answer's headers
(RFC 9112 §9.3.1.1); a POST or PATCH is never sent twice.
"""

import re
import select
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import aiohttp
import httpx
from aiohttp.client_proto import ResponseHandler

_REMEMBERED_TIMEOUTS = 64
_REUSE_CHECKS = 32
"""Dead connections discarded for one request before it takes whatever the pool gives (bounded)."""


def idle_connection_is_open(protocol: ResponseHandler) -> bool:
    """Whether an idle keep-alive connection is still usable: open, and with nothing to read."""
    transport = protocol.transport
    if transport is None or transport.is_closing() or not protocol.is_connected() or protocol.should_close:
        return False
    sock = transport.get_extra_info("socket")
    if sock is None:
        return True
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN | select.POLLPRI)
    # Readable while idle means end of stream (the upstream closed) or bytes nobody asked for.
    return not poller.poll(0)


class CheckedConnector(aiohttp.TCPConnector):
    """A pool that checks a connection before handing it out (see the module docstring)."""

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Any],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109
    ) -> aiohttp.connector.Connection:
        for _ in range(_REUSE_CHECKS):
            connection = await super().connect(req, traces, timeout)
            if connection.protocol is not None and idle_connection_is_open(connection.protocol):
                return connection
            connection.close()  # closes the socket; never returned to the pool
        return await super().connect(req, traces, timeout)


_PLAIN_TARGET = re.compile(
    r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*(?:%[0-9A-Fa-f]{2}[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*)*"
)
"""A path and query that httpx's URL parser and yarl's (aiohttp's) both leave exactly as they are: only
unreserved characters, sub-delimiters, ":@/?" and well-formed percent-encodings (dot segments never reach
here: the gateway refuses them)."""


class RelayRequest(httpx.Request):
    """An `httpx.Request` for a relay that parses its URL and normalises its headers only if asked to.

    The gateway forwards the caller's method, URL and headers as they are; building a full `httpx.Request`
    (URL parse, header normalisation, ~30 µs) only for `RelayTransport` to turn it back into aiohttp's
    arguments was ~9 % of the gateway's CPU a request. Until something reads `url`, `headers` or `stream`
    (another transport, a replica set moving it to another replica, a log line), `RelayTransport` sends
    `target_url`, `raw_headers` and `body` straight to aiohttp; the first such read builds the full
    request, exactly as `httpx.Request(method, url, headers=..., content=..., extensions=...)` would, and
    from then on the request is that one.
    """

    def __init__(  # httpx.Request.__init__ is deliberately not called
        self,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        content: bytes | AsyncIterable[bytes],
        extensions: dict[str, Any],
    ) -> None:
        self.method = method
        self.target_url = url
        self.raw_headers = headers
        self.body = content
        self.extensions = dict(extensions)  # as httpx.Request: its own, not the caller's dict
        self._full: httpx.Request | None = None

    def full(self) -> httpx.Request:
        """The request as httpx builds it (built once, on first use)."""
        if self._full is None:
            self._full = httpx.Request(
                self.method,
                self.target_url,
                headers=self.raw_headers,
                content=self.body,
                extensions=self.extensions,
            )
        return self._full

    @property
    def unparsed(self) -> bool:
        """Whether `target_url`, `raw_headers` and `body` are still the whole request, as given."""
        return self._full is None

    @property
    def url(self) -> httpx.URL:
        return self.full().url

    @url.setter
    def url(self, value: httpx.URL) -> None:
        self.full().url = value

    @property
    def headers(self) -> httpx.Headers:
        return self.full().headers

    @headers.setter
    def headers(self, value: httpx.Headers) -> None:
        self.full().headers = value

    @property
    def stream(self) -> httpx.SyncByteStream | httpx.AsyncByteStream:
        return self.full().stream

    @stream.setter
    def stream(self, value: httpx.SyncByteStream | httpx.AsyncByteStream) -> None:
        self.full().stream = value

    @property
    def content(self) -> bytes:
        if self._full is None and isinstance(self.body, bytes):
            return self.body
        return self.full().content

    def read(self) -> bytes:
        return self.full().read()

    async def aread(self) -> bytes:
        return await self.full().aread()


def _plain(request: RelayRequest) -> tuple[str, list[tuple[str, str]], bytes | None] | None:
    """What `RelayTransport` would send for this request, without the detour through httpx's URL and
    Headers, when that detour changes nothing: the body is in memory, the path and query are plain
    (`_PLAIN_TARGET`) and the headers ASCII (httpx decodes other headers by guessing their charset).
    aiohttp derives Host from the URL and Content-Length from the body, as httpx would have."""
    if not request.unparsed or not isinstance(request.body, bytes):
        return None
    url = request.target_url
    if not _PLAIN_TARGET.fullmatch(url, url.find("/", url.find("//") + 2)):
        return None
    try:
        headers = [(name.decode("ascii"), value.decode("ascii")) for name, value in request.raw_headers]
    except UnicodeDecodeError:
        return None
    return url, headers, request.body or None


class _Response(aiohttp.ClientResponse):
    """A response that marks its connection not reusable when it is a server error.

    Marked as soon as the status is known: aiohttp puts a connection back in the pool the moment its
    body has been read, which can be before `start` returns. A marked connection that is already back
    in the pool is discarded by `CheckedConnector` when next taken.
    """

    async def start(self, connection: aiohttp.connector.Connection) -> "aiohttp.ClientResponse":
        protocol = connection.protocol
        response = await super().start(connection)
        if self.status >= 500 and protocol is not None:
            protocol.force_close()
        return response


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, reuse: bool) -> None:
        self.response = response
        self.reuse = reuse

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors():
            async for chunk in self.response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        if self.reuse:
            self.response.release()  # back to the pool only if fully read and the upstream keeps it open
        else:
            self.response.close()


class _mapped_errors:
    """aiohttp's errors as httpx's, so the relay speaks one vocabulary whichever transport runs."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc is None or not isinstance(exc, aiohttp.ClientError | TimeoutError):
            return
        mapped: type[httpx.TransportError]
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            mapped = httpx.ConnectTimeout
        elif isinstance(exc, aiohttp.ClientConnectorError):
            mapped = httpx.ConnectError
        elif isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError):
            mapped = httpx.ReadTimeout
        elif isinstance(exc, aiohttp.ServerDisconnectedError):
            mapped = httpx.RemoteProtocolError  # closed before answering: the request may have run
        elif isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
            mapped = httpx.ReadError  # e.g. reset by the peer: the connection broke
        else:
            mapped = httpx.NetworkError
        raise mapped(str(exc) or type(exc).__name__) from exc


class RelayTransport(httpx.AsyncBaseTransport):
    """httpx's transport interface over one aiohttp session (created lazily, inside the event loop)."""

    def __init__(self, max_connections: int, keepalive_seconds: float) -> None:
        self.max_connections = max_connections
        self.keepalive_seconds = keepalive_seconds
        self.session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, float | None, float | None], aiohttp.ClientTimeout] = {}

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None:
            connector = CheckedConnector(limit=self.max_connections, keepalive_timeout=self.keepalive_seconds)
            # No cookie jar: a relay must never replay one caller's cookies to the next.
            self.session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("Accept-Encoding", "User-Agent"),
                auto_decompress=False,
                response_class=_Response,
            )
        return self.session

    def _timeout(
        self, connect: float | None, read: float | None, pool: float | None
    ) -> aiohttp.ClientTimeout:
        """aiohttp's (immutable) timeout for httpx's, built once per distinct triple (~2 µs each)."""
        key = (connect, read, pool)
        found = self._timeouts.get(key)
        if found is None:
            found = aiohttp.ClientTimeout(sock_connect=connect, sock_read=read, connect=pool)
            if len(self._timeouts) < _REMEMBERED_TIMEOUTS:
                self._timeouts[key] = found
        return found

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        data: bytes | httpx.AsyncByteStream | None
        plain = _plain(request) if isinstance(request, RelayRequest) else None
        if plain is not None:
            url, headers, data = plain
        else:
            url, headers = str(request.url), request.headers.multi_items()
            try:
                data = request.content or None
            except httpx.RequestNotRead:
                data = request.stream  # type: ignore[assignment]
                request.headers.pop("transfer-encoding", None)  # aiohttp chunks an unsized body itself
                headers = request.headers.multi_items()
        with _mapped_errors():
            response = await self._session().request(
                request.method,
                url,
                headers=headers,
                data=data,
                allow_redirects=False,
                compress=False,
                timeout=self._timeout(timeout.get("connect"), timeout.get("read"), timeout.get("pool")),
            )
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, reuse=response.status < 500),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode()},
        )

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()
