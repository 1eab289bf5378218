"""CORS through real processes: a gateway in front of the echo upstream, and a service that is down."""

import os
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import assert_problem
from tests.e2e.conftest import free_port
from tests.e2e.test_gateway_forwarding import _serve, _wait

pytestmark = pytest.mark.e2e

ALLOWED = "https://budget.seoul.example"
OTHER = "https://elsewhere.example"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("cors") / "log.txt"
    echo_port, gateway_port, dead_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "GATEWAY_COUNCILS_URL": f"http://127.0.0.1:{echo_port}",
        # Nothing listens here: a request that reached the budget service's proxy path would fail (503).
        "GATEWAY_BUDGET_URL": f"http://127.0.0.1:{dead_port}",
        "GATEWAY_CORS_ORIGINS": f'["{ALLOWED}"]',
    }
    echo = _serve(["tests.e2e.echo_app:app", "--port", str(echo_port)], env, log)
    gateway = _serve(["--factory", "gateway.main:create_app", "--port", str(gateway_port)], env, log)
    try:
        _wait(f"http://127.0.0.1:{echo_port}/openapi.json", echo)
        _wait(f"http://127.0.0.1:{gateway_port}/livez", gateway)
        yield f"http://127.0.0.1:{gateway_port}"
    finally:
        for process in (gateway, echo):
            process.terminate()
            process.wait(timeout=10)


def test_an_allowed_origin_gets_the_cors_headers(gateway: str) -> None:
    response = httpx.get(f"{gateway}/councils/echo", headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "etag" in response.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


def test_another_origin_gets_none(gateway: str) -> None:
    response = httpx.get(f"{gateway}/councils/echo", headers={"Origin": OTHER})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    refused = httpx.options(
        f"{gateway}/councils/echo", headers={"Origin": OTHER, "Access-Control-Request-Method": "PUT"}
    )
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


def test_a_preflight_never_reaches_the_upstream(gateway: str) -> None:
    preflight = {"Origin": ALLOWED, "Access-Control-Request-Method": "POST"}
    response = httpx.options(f"{gateway}/budget/cycles", headers=preflight)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    # The same path without the preflight headers goes to the proxy, which cannot reach the service.
    assert_problem(httpx.options(f"{gateway}/budget/cycles"), 503)


def test_an_error_answer_carries_the_cors_headers(gateway: str) -> None:
    response = httpx.get(f"{gateway}/budget/cycles", headers={"Origin": ALLOWED})
    assert_problem(response, 503)
    assert response.headers["access-control-allow-origin"] == ALLOWED
