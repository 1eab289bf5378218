"""CORS through real processes: a gateway in front of the echo upstream, and a service that is down."""

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import assert_problem
from tests.e2e.conftest import gateway_over_echo

pytestmark = pytest.mark.e2e

ALLOWED = "https://budget.seoul.example"
OTHER = "https://elsewhere.example"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("cors") / "log.txt"
    with gateway_over_echo(
        log,
        lambda echo, dead: {
            "GATEWAY_COUNCILS_URL": echo,
            # Nothing listens here: a request that reached the budget service's proxy path would fail (503).
            "GATEWAY_BUDGET_URL": dead,
            "GATEWAY_CORS_ORIGINS": f'["{ALLOWED}"]',
        },
    ) as url:
        yield url


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
