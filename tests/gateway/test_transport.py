"""The relay transport never hands a connection the upstream closed (or will close) to the next request."""

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from aiohttp.client_proto import ResponseHandler

from shared.transport import RelayTransport, idle_connection_is_open


class Upstream:
    """A bare HTTP/1.1 server answering each request with the next status; it can close after answering
    without having said so (as uvicorn does after an unhandled error)."""

    def __init__(self, statuses: list[int], hang_up: bool = False) -> None:
        self.statuses = iter(statuses)
        self.hang_up = hang_up
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                await reader.readexactly(length)
                self.requests.append(head.split(b"\r\n")[0])
                status = next(self.statuses)
                writer.write(
                    b"HTTP/1.1 %d X\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}" % status
                )
                await writer.drain()
                if self.hang_up:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


Serve = Callable[[Upstream], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[asyncio.Server] = []

    async def start(upstream: Upstream) -> str:
        server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()


@pytest.fixture
async def transport() -> AsyncIterator[RelayTransport]:
    relay = RelayTransport(max_connections=10, keepalive_seconds=30)
    yield relay
    await relay.aclose()


async def _call(transport: RelayTransport, method: str, url: str) -> int:
    response = await transport.handle_async_request(httpx.Request(method, url, content=b"x"))
    await response.aread()
    await response.aclose()
    return response.status_code


async def test_a_healthy_connection_is_reused(serve: Serve, transport: RelayTransport) -> None:
    upstream = Upstream([200, 200])
    url = await serve(upstream)
    assert [await _call(transport, m, url + "/a") for m in ("GET", "POST")] == [200, 200]
    assert upstream.connections == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_server_errors_connection_is_never_reused(
    serve: Serve, transport: RelayTransport, status: int
) -> None:
    upstream = Upstream([status, 201])
    url = await serve(upstream)
    assert await _call(transport, "GET", url + "/boom") == status
    assert await _call(transport, "POST", url + "/write") == 201
    assert upstream.connections == 2


async def test_a_connection_closed_after_an_answer_is_not_reused(
    serve: Serve, transport: RelayTransport
) -> None:
    upstream = Upstream([200, 201], hang_up=True)
    url = await serve(upstream)
    assert await _call(transport, "GET", url + "/a") == 200
    assert await _call(transport, "POST", url + "/write") == 201
    assert upstream.requests == [b"GET /a HTTP/1.1", b"POST /write HTTP/1.1"]  # each sent once


async def test_nobody_listening_is_a_connect_error(transport: RelayTransport) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(httpx.ConnectError):
        await _call(transport, "GET", f"http://127.0.0.1:{port}/")


@pytest.fixture
async def idle() -> AsyncIterator[tuple[ResponseHandler, socket.socket]]:
    """A pooled-connection protocol on one end of a socket pair; the test holds the upstream's end."""
    ours, theirs = socket.socketpair()
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(lambda: ResponseHandler(loop), sock=ours)
    yield protocol, theirs
    protocol.close()
    theirs.close()


async def test_an_idle_open_connection_is_usable(idle: tuple[ResponseHandler, socket.socket]) -> None:
    protocol, _ = idle
    assert idle_connection_is_open(protocol)


async def test_a_connection_the_upstream_closed_is_not_usable_before_the_loop_has_noticed(
    idle: tuple[ResponseHandler, socket.socket],
) -> None:
    protocol, theirs = idle
    theirs.shutdown(socket.SHUT_WR)  # the FIN is in our kernel; the event loop has not run since
    assert protocol.is_connected()  # what aiohttp's own pool checks: not enough
    assert not idle_connection_is_open(protocol)


async def test_a_connection_with_unasked_bytes_is_not_usable(
    idle: tuple[ResponseHandler, socket.socket],
) -> None:
    protocol, theirs = idle
    theirs.send(b"HTTP/1.1 408 Request Timeout\r\n\r\n")
    assert not idle_connection_is_open(protocol)


async def test_a_connection_marked_to_close_is_not_usable(
    idle: tuple[ResponseHandler, socket.socket],
) -> None:
    protocol, _ = idle
    protocol.force_close()
    assert not idle_connection_is_open(protocol)


async def test_a_connection_closed_before_any_answer_is_a_protocol_error_not_a_connect_error(
    transport: RelayTransport,
) -> None:
    """The request may have run: the gateway must not call it 'unavailable' (503) nor retry a write."""
    requests = 0

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal requests
        await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(1)  # the body too: closing with unread bytes would be a reset, not a FIN
        requests += 1
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    try:
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/write"
        with pytest.raises(httpx.RemoteProtocolError):
            await _call(transport, "POST", url)
        assert requests == 1
    finally:
        server.close()
