"""The gateway retries a safe request once, and only when it failed fast without an answer."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway import proxy
from gateway.proxy import FAST_FAILURE, _send


class FlakyTransport(httpx.AsyncBaseTransport):
    """Fails the first ``failures`` requests with a connection error, then answers 200."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls <= self.failures:
            raise httpx.ConnectError("connection closed", request=request)
        return httpx.Response(200, request=request)


class FakeUpstream:
    def __init__(self, transport: FlakyTransport) -> None:
        self.transport = transport


@pytest.fixture
def failing_after(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Make the first attempt take ``elapsed`` seconds before it fails."""

    def set_elapsed(elapsed: float) -> None:
        ticks = iter([100.0, 100.0 + elapsed])
        monkeypatch.setattr(proxy, "_clock", lambda: next(ticks))

    yield set_elapsed


def _request(method: str = "GET") -> httpx.Request:
    return httpx.Request(method, "http://upstream/budget/cycles")


@pytest.mark.parametrize("elapsed", [0.0, FAST_FAILURE / 2, FAST_FAILURE])
async def test_a_fast_failure_of_a_safe_request_is_tried_once_more(
    failing_after: Any, elapsed: float
) -> None:
    failing_after(elapsed)
    transport = FlakyTransport(failures=1)
    response = await _send(FakeUpstream(transport), _request(), retry=True)  # type: ignore[arg-type]
    assert response.status_code == 200 and transport.calls == 2


async def test_a_slow_failure_is_not_retried(failing_after: Any) -> None:
    failing_after(FAST_FAILURE + 0.001)
    transport = FlakyTransport(failures=1)
    with pytest.raises(httpx.ConnectError):
        await _send(FakeUpstream(transport), _request(), retry=True)  # type: ignore[arg-type]
    assert transport.calls == 1


async def test_a_write_is_never_retried(failing_after: Any) -> None:
    failing_after(0.0)
    transport = FlakyTransport(failures=1)
    with pytest.raises(httpx.ConnectError):
        await _send(FakeUpstream(transport), _request("POST"), retry=False)  # type: ignore[arg-type]
    assert transport.calls == 1


async def test_only_one_retry(failing_after: Any) -> None:
    failing_after(0.0)
    transport = FlakyTransport(failures=2)
    with pytest.raises(httpx.ConnectError):
        await _send(FakeUpstream(transport), _request(), retry=True)  # type: ignore[arg-type]
    assert transport.calls == 2


class BrokenTransport(httpx.AsyncBaseTransport):
    """Fails the first request with ``error`` (a connection broken before any answer), then answers 201."""

    def __init__(self, error: type[httpx.TransportError]) -> None:
        self.error = error
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls == 1:
            raise self.error("server disconnected", request=request)
        return httpx.Response(201, request=request)


@pytest.mark.parametrize("error", [httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError])
async def test_a_keyed_post_whose_connection_broke_is_replayed_once(
    failing_after: Any, error: type[httpx.TransportError]
) -> None:
    failing_after(FAST_FAILURE * 10)  # however long it took: the key makes the repeat harmless
    transport = BrokenTransport(error)
    response = await _send(FakeUpstream(transport), _request("POST"), retry=False, replayable=True)  # type: ignore[arg-type]
    assert response.status_code == 201 and transport.calls == 2


@pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.ConnectError, httpx.ConnectTimeout])
async def test_a_keyed_post_is_not_repeated_after_a_timeout_or_a_refused_connection(
    failing_after: Any, error: type[httpx.TransportError]
) -> None:
    failing_after(0.0)
    transport = BrokenTransport(error)
    with pytest.raises(error):
        await _send(FakeUpstream(transport), _request("POST"), retry=False, replayable=True)  # type: ignore[arg-type]
    assert transport.calls == 1


async def test_a_post_without_a_key_is_never_repeated(failing_after: Any) -> None:
    failing_after(0.0)
    transport = BrokenTransport(httpx.RemoteProtocolError)
    with pytest.raises(httpx.RemoteProtocolError):
        await _send(FakeUpstream(transport), _request("POST"), retry=False, replayable=False)  # type: ignore[arg-type]
    assert transport.calls == 1
