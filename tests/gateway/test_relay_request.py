"""A RelayRequest puts on the wire what the httpx.Request it stands for would, whichever route it takes."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from shared.transport import RelayRequest, RelayTransport, _plain

Seen = tuple[bytes, list[bytes], bytes]


class Recorder:
    """A bare HTTP/1.1 server keeping each request's line, header lines (names lower-cased) and body."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line, *fields = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")[:-2]
                headers = sorted(
                    name.lower() + b":" + value for name, _, value in (f.partition(b":") for f in fields)
                )
                length = next((int(h.split(b":")[1]) for h in headers if h.startswith(b"content-length:")), 0)
                body = await reader.readexactly(length)
                if b"transfer-encoding: chunked" in headers:
                    while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                        body += (await reader.readexactly(size + 2))[:-2]
                    await reader.readexactly(2)
                self.seen.append((line, headers, body))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[Recorder, str]]:
    recorder = Recorder()
    server = await asyncio.start_server(recorder.handle, "127.0.0.1", 0)
    yield recorder, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    server.close()


async def _chunks() -> AsyncIterator[bytes]:
    yield b'{"a":'
    yield b"1}"


TARGETS = [
    "/budget/elections/7/ballot",
    "/councils/districts/11110?x=1&y=%EC%A2%85%eb%a1%9c",
    "/councils/bodies?q=~!$&'()*+,;=:@/?",
    '/councils/bodies?q=a b"<>`{|}^',  # not plain: through httpx's parser, as before
    "/councils/bodies?q=%zz&r=caf\xe9",
]
HEADERS = [
    [(b"authorization", b"Bearer a.b.c"), (b"content-type", b"application/json"), (b"x-request-id", b"r1")],
    [(b"accept", b"*/*"), (b"accept", b"text/csv"), (b"x-name", "강남구".encode())],  # not ASCII
    [(b"x-latin", b"caf\xe9"), (b"idempotency-key", b"k1")],
    [],
]


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("headers", HEADERS)
@pytest.mark.parametrize("body", [b"", '{"이름":"종로구"}'.encode(), "stream"])
async def test_the_wire_is_the_same_as_for_the_httpx_request(
    recorder: tuple[Recorder, str],
    method: str,
    target: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes | str,
) -> None:
    server, base = recorder
    transport = RelayTransport(max_connections=4, keepalive_seconds=30)
    timeout = {"timeout": {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}}
    try:
        for build in (httpx.Request, RelayRequest):
            content = body if isinstance(body, bytes) else _chunks()
            if build is httpx.Request:
                request = httpx.Request(
                    method, base + target, headers=headers, content=content, extensions=timeout
                )
            else:
                request = RelayRequest(method, base + target, headers, content, timeout)
            response = await transport.handle_async_request(request)
            await response.aread()
            await response.aclose()
    finally:
        await transport.aclose()
    assert len(server.seen) == 2
    assert server.seen[0] == server.seen[1]


def test_a_plain_request_is_sent_as_given_and_parsed_only_when_read() -> None:
    request = RelayRequest(
        "PUT", "http://127.0.0.1:8002/budget/elections/7/ballot", [(b"authorization", b"Bearer t")], b"{}", {}
    )
    assert _plain(request) == (
        "http://127.0.0.1:8002/budget/elections/7/ballot",
        [("authorization", "Bearer t")],
        b"{}",
    )
    assert request.unparsed and request.content == b"{}"
    assert request.url.port == 8002 and request.headers["content-length"] == "2"  # as httpx.Request's
    assert not request.unparsed and _plain(request) is None  # from now on, the parsed request is the request


def test_a_streamed_body_is_not_read_by_asking_for_it() -> None:
    request = RelayRequest("POST", "http://127.0.0.1:8002/budget/imports", [], _chunks(), {})
    with pytest.raises(httpx.RequestNotRead):
        request.content  # noqa: B018 (what the replica set asks before resending)
    assert _plain(request) is None
