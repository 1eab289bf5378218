"""The gateway's forwarding contract, against a real echo upstream process."""

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ops.processes import stop_processes
from tests.conftest import assert_problem
from tests.e2e.conftest import free_port, gateway_over_echo, serve, wait_answering

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gateway_to_echo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("echo") / "log.txt"
    with gateway_over_echo(
        log,
        lambda echo, dead: {
            "GATEWAY_COUNCILS_URL": echo,
            "GATEWAY_BUDGET_URL": dead,
            "GATEWAY_READ_TIMEOUT": "0.5",
            # Larger than the default limit: a body is streamed (beyond max_buffered_body) and still allowed.
            "GATEWAY_BODY_LIMITS": f'{{"POST /councils/echo": {4 << 20}}}',
        },
    ) as url:
        yield url


def test_trace_context_and_request_id_are_forwarded_the_gateway_a_span_of_the_trace(
    gateway_to_echo: str,
) -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    response = httpx.get(
        f"{gateway_to_echo}/councils/echo?a=1&b=한글",
        headers={"traceparent": traceparent, "tracestate": "k=v", "X-Request-ID": "rid-42"},
    )
    seen = response.json()["headers"]
    # The same trace, with the gateway's own span as the upstream's parent (OpenTelemetry), its state kept.
    version, trace_id, parent, flags = seen["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", "4bf92f3577b34da6a3ce929d0e0e4736", "01")
    assert parent != "00f067aa0ba902b7" and len(parent) == 16 and int(parent, 16) != 0
    assert seen["tracestate"] == "k=v"
    assert seen["x-request-id"] == "rid-42"
    assert response.headers["x-request-id"] == "rid-42"
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert "b=%ED%95%9C%EA%B8%80" in response.json()["query"]


def test_hop_by_hop_headers_are_dropped(gateway_to_echo: str) -> None:
    response = httpx.get(
        f"{gateway_to_echo}/councils/echo",
        headers={"Connection": "keep-alive", "Keep-Alive": "timeout=5", "TE": "trailers", "Upgrade": "h2c"},
    )
    seen = response.json()["headers"]
    for name in ("keep-alive", "te", "upgrade"):
        assert name not in seen
    assert (
        seen.get("connection", "keep-alive") == "keep-alive"
    )  # the gateway's own connection, not the caller's


@pytest.mark.parametrize("size", [0, 1024, 1 << 20, (1 << 20) + 1, 3 << 20])
def test_bodies_arrive_intact_buffered_or_streamed(
    gateway_to_echo: str, size: int, auth: Callable[..., dict[str, str]]
) -> None:
    body = os.urandom(size)
    response = httpx.post(f"{gateway_to_echo}/councils/echo", content=body, headers=auth("city_officer"))
    assert response.status_code == 200, response.text
    assert response.json()["body_length"] == size
    assert response.json()["body_sha256"] == hashlib.sha256(body).hexdigest()


def test_a_slow_upstream_is_a_504_problem(gateway_to_echo: str) -> None:
    body = assert_problem(httpx.get(f"{gateway_to_echo}/councils/slow", timeout=10), 504)
    assert body["code"] == "upstream-timeout"


def test_an_unreachable_upstream_is_a_503_problem(gateway_to_echo: str) -> None:
    response = httpx.get(f"{gateway_to_echo}/budget/cycles")
    assert_problem(response, 503)
    assert response.headers["retry-after"]


def test_openapi_names_the_missing_services(gateway_to_echo: str) -> None:
    spec = httpx.get(f"{gateway_to_echo}/openapi.json", timeout=10).json()
    assert set(spec["x-missing-services"]) >= {"budget"}


def test_the_relay_adds_no_encoding_or_agent_and_keeps_no_cookies(gateway_to_echo: str) -> None:
    with httpx.Client() as client:
        del client.headers["accept-encoding"]
        del client.headers["user-agent"]
        seen = client.get(f"{gateway_to_echo}/councils/echo").json()
    assert "accept-encoding" not in seen["headers"] and "user-agent" not in seen["headers"]
    raw = httpx.get(f"{gateway_to_echo}/councils/echo", headers={"User-Agent": "city-system/1"}).json()
    assert raw["headers"]["user-agent"] == "city-system/1"
    first = httpx.get(f"{gateway_to_echo}/councils/cookie").json()
    second = httpx.get(f"{gateway_to_echo}/councils/echo").json()
    assert first["set"] and "cookie" not in second["headers"]


@pytest.fixture
def gateway_with_dead_budget(tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A gateway whose budget service is down, with a quick breaker; the second item starts it."""
    log = tmp_path / "log.txt"
    budget_port, councils_port, gateway_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "GATEWAY_BUDGET_URL": f"http://127.0.0.1:{budget_port}",
        "GATEWAY_COUNCILS_URL": f"http://127.0.0.1:{councils_port}",
        "GATEWAY_BREAKER_FAILURES": "2",
        # Long enough that starting the budget stand-in (about a second on a busy machine) ends inside it.
        "GATEWAY_BREAKER_RESET_SECONDS": "5",
    }
    processes = [serve(["--factory", "gateway.main:create_app", "--port", str(gateway_port)], env, log)]

    def start_budget() -> None:
        processes.append(serve(["tests.e2e.echo_app:app", "--port", str(budget_port)], env, log))
        wait_answering(f"http://127.0.0.1:{budget_port}/openapi.json", processes[-1])

    try:
        wait_answering(f"http://127.0.0.1:{gateway_port}/livez", processes[0])
        yield f"http://127.0.0.1:{gateway_port}", start_budget
    finally:
        stop_processes(*processes)


def test_a_failing_upstream_opens_the_circuit_until_a_trial_succeeds(
    gateway_with_dead_budget: tuple[str, Callable[[], None]],
) -> None:
    gateway, start_budget = gateway_with_dead_budget
    for _ in range(2):  # the threshold: each is a real attempt that finds nobody listening
        assert assert_problem(httpx.get(f"{gateway}/budget/echo"), 503)["code"] == "upstream-unavailable"
    response = httpx.get(f"{gateway}/budget/echo")
    assert assert_problem(response, 503)["code"] == "upstream-circuit-open"
    assert response.headers["retry-after"] == "5"
    # Other upstreams are not affected: councils is down too here, but its circuit is still closed.
    assert assert_problem(httpx.get(f"{gateway}/councils/districts"), 503)["code"] == "upstream-unavailable"
    start_budget()
    assert assert_problem(httpx.get(f"{gateway}/budget/echo"), 503)["code"] == "upstream-circuit-open"
    deadline = time.monotonic() + 10
    while (response := httpx.get(f"{gateway}/budget/echo")).status_code == 503:
        assert time.monotonic() < deadline, "the circuit never let a trial through"
        time.sleep(0.2)
    assert response.status_code == 200 and response.json()["method"] == "GET"
    assert httpx.get(f"{gateway}/budget/echo").status_code == 200
