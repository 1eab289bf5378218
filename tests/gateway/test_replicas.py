"""The replica set under the gateway's relay: round-robin, a replica that refuses connections is skipped."""

from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.replicas import Replica, ReplicaSet
from gateway.settings import GatewaySettings
from shared.breaker import CircuitBreaker, State


class Host(httpx.AsyncBaseTransport):
    """Answers with its own name, or refuses the connection when `down`."""

    def __init__(self, name: str, down: bool = False) -> None:
        self.name, self.down, self.seen = name, down, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, text=f"{self.name} {request.url.port}")


def _set(*hosts: Host, threshold: int = 2) -> ReplicaSet:
    return ReplicaSet(
        [
            Replica(f"http://127.0.0.1:{9000 + n}", h, CircuitBreaker(threshold, 60))
            for n, h in enumerate(hosts)
        ]
    )


async def _get(replicas: ReplicaSet, method: str = "GET", content: bytes | AsyncIterator[bytes] = b"") -> str:
    response = await replicas.handle_async_request(
        httpx.Request(method, "http://127.0.0.1:9000/x", content=content)
    )
    return (await response.aread()).decode()


async def test_requests_take_turns_and_go_to_the_chosen_replicas_port() -> None:
    replicas = _set(Host("a"), Host("b"))
    assert [await _get(replicas) for _ in range(4)] == ["a 9000", "b 9001", "a 9000", "b 9001"]


async def test_a_refused_connection_goes_to_the_next_replica_until_its_breaker_skips_it() -> None:
    down, up = Host("a", down=True), Host("b")
    replicas = _set(down, up, threshold=2)
    answers = [await _get(replicas, "POST", b"{}") for _ in range(6)]  # not sent: safe for any method
    assert answers == ["b 9001"] * 6
    assert down.seen == 2 and replicas.replicas[0].breaker.state is State.OPEN
    assert replicas.replicas[1].breaker.state is State.CLOSED


async def test_a_streamed_body_is_not_sent_again() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"x"

    replicas = _set(Host("a", down=True), Host("b"))
    with pytest.raises(httpx.ConnectError):
        await _get(replicas, "POST", body())


async def test_no_replica_reachable_is_a_connect_error() -> None:
    replicas = _set(Host("a", down=True), Host("b", down=True))
    with pytest.raises(httpx.ConnectError):
        await _get(replicas)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://127.0.0.1:8001", ["http://127.0.0.1:8001"]),
        ("http://127.0.0.1:8001, http://127.0.0.1:8011", ["http://127.0.0.1:8001", "http://127.0.0.1:8011"]),
    ],
)
def test_an_upstream_setting_holds_one_url_or_several(value: str, expected: list[str]) -> None:
    assert GatewaySettings(GATEWAY_COUNCILS_URL=value).upstream_urls()["councils"] == expected


@pytest.mark.parametrize("value", ["", " , ", "ftp://host", "http://a:1/x,http://b:1/y"])
def test_bad_upstream_settings_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        GatewaySettings(GATEWAY_COUNCILS_URL=value)
