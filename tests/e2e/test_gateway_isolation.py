"""Callers isolated from each other, and the route table and body limits held, through a real gateway
in front of a real echo upstream (tests/e2e/echo_app.py) that fails and hangs up on purpose."""

import http.client
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import assert_problem
from tests.e2e.conftest import gateway_over_echo

pytestmark = pytest.mark.e2e

IMPORT_LIMIT = 3 << 20
MiB = 1 << 20


@pytest.fixture(scope="module")
def gateway_to_echoes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("echoes") / "log.txt"
    with gateway_over_echo(
        log,
        lambda echo, dead: {
            "GATEWAY_COUNCILS_URL": echo,
            "GATEWAY_BUDGET_URL": echo,
            "GATEWAY_EVALUATION_URL": dead,
            "GATEWAY_BODY_LIMITS": f'{{"POST /budget/elections/import": {IMPORT_LIMIT}}}',
        },
    ) as url:
        yield url


def raw_request(
    base: str, method: str, path: str, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """The path exactly as written: httpx would normalise dot segments before sending."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("broken", ["/councils/boom", "/councils/hang-up"])
def test_an_upstream_that_fails_or_hangs_up_never_breaks_the_next_callers_write(
    gateway_to_echoes: str, auth: Callable[..., dict[str, str]], broken: str
) -> None:
    for attempt in range(5):
        first = httpx.get(gateway_to_echoes + broken)
        assert first.status_code == (500 if broken.endswith("boom") else 200)
        write = httpx.post(f"{gateway_to_echoes}/councils/echo", content=b"x", headers=auth("city_officer"))
        assert write.status_code == 200, (attempt, write.text)
        assert write.json()["method"] == "POST"


def test_a_failing_overview_part_never_breaks_the_next_callers_write(
    gateway_to_echoes: str, auth: Callable[..., dict[str, str]]
) -> None:
    for attempt in range(5):
        overview = httpx.get(f"{gateway_to_echoes}/overview/districts/11110")
        # councils' read (the district with it) answered 500 and closed the connection: no overview
        assert overview.status_code == 503, overview.text
        assert "councils service answered 500" in overview.json()["detail"]
        write = httpx.post(f"{gateway_to_echoes}/councils/echo", content=b"x", headers=auth("city_officer"))
        assert write.status_code == 200, (attempt, write.text)


WALKS = [
    "/budget/%2e%2e/metrics",
    "/budget/%2E%2E/metrics",
    "/budget/%2e%2E/livez",
    "/budget/.%2e/metrics",
    "/budget/%2e./metrics",
    "/budget/../metrics",
    "/budget/./echo",
    "/budget/%2e/echo",
    "/budget/echo/..",
    "/budget/echo/%2e%2e",
    "/budget/%252e%252e/metrics",
    "/budget/%25252e%25252e/metrics",
    "/budget/..%2fmetrics",
    "/budget/..%2Fmetrics",
    "/budget/%2fmetrics",
    "/budget/..%5cmetrics",
    "/budget/..%5Cmetrics",
    "/budget/..\\metrics",
    "/budget/%c0%ae%c0%ae/metrics",
    "/budget/echo%00",
]


@pytest.mark.parametrize("path", WALKS)
def test_a_path_that_walks_out_of_its_prefix_is_refused(gateway_to_echoes: str, path: str) -> None:
    status, headers, body = raw_request(gateway_to_echoes, "GET", path)
    assert status == 400, (path, body)
    assert headers["content-type"] == "application/problem+json"
    assert b"path-not-canonical" in body and b"reached" not in body


@pytest.mark.parametrize(
    "path", ["/budget/internal", "/budget/openapi.json", "/budget/metrics", "/budget/echo/", "/budget//echo"]
)
def test_only_public_paths_pass(gateway_to_echoes: str, path: str) -> None:
    status, headers, body = raw_request(gateway_to_echoes, "GET", path)
    assert status == 404, (path, body)
    assert headers["content-type"] == "application/problem+json" and b"reached" not in body


def test_a_public_path_spelled_with_harmless_escapes_passes(gateway_to_echoes: str) -> None:
    status, _, body = raw_request(gateway_to_echoes, "GET", "/budget/%65cho/%ED%95%9C")
    assert status == 200, body


@pytest.mark.parametrize("method", ["DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_an_undeclared_method_is_405_with_allow_before_any_token(gateway_to_echoes: str, method: str) -> None:
    response = httpx.request(method, f"{gateway_to_echoes}/councils/echo")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, POST, PUT"
    assert "www-authenticate" not in response.headers


def test_head_is_405_where_only_get_is_declared(gateway_to_echoes: str) -> None:
    response = httpx.head(f"{gateway_to_echoes}/councils/echo")  # FastAPI answers HEAD on no GET route
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST, PUT"


def test_a_declared_write_without_a_token_is_still_401(gateway_to_echoes: str) -> None:
    assert_problem(httpx.post(f"{gateway_to_echoes}/councils/echo", content=b"x"), 401)


def _chunks(size: int) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        part = min(64 * 1024, size - sent)
        sent += part
        yield b"a" * part


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_on_a_read_is_refused(gateway_to_echoes: str, chunked: bool) -> None:
    content = _chunks(10) if chunked else b"[" * 10
    response = httpx.request("GET", f"{gateway_to_echoes}/councils/echo", content=content)
    assert assert_problem(response, 400)["code"] == "body-not-allowed"


def test_an_empty_body_on_a_read_is_fine(gateway_to_echoes: str) -> None:
    response = httpx.request("GET", f"{gateway_to_echoes}/councils/echo", headers={"content-length": "0"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "limit"), [("/councils/echo", MiB), ("/budget/elections/import", IMPORT_LIMIT)]
)
@pytest.mark.parametrize("chunked", [False, True])
def test_bodies_are_limited_per_route_at_the_edge(
    gateway_to_echoes: str, auth: Callable[..., dict[str, str]], path: str, limit: int, chunked: bool
) -> None:
    for size, status in ((limit - 1, 200), (limit, 200), (limit + 1, 413)):
        content = _chunks(size) if chunked else b"a" * size
        response = httpx.post(
            gateway_to_echoes + path, content=content, headers=auth("city_officer"), timeout=30
        )
        assert response.status_code == status, (size, response.text[:200])
        if status == 200:
            assert response.json()["body_length"] == size
        else:
            assert assert_problem(response, 413)["code"] == "payload-too-large"
    # The refused caller left nothing behind: the next write goes through.
    after = httpx.post(f"{gateway_to_echoes}/councils/echo", content=b"x", headers=auth("city_officer"))
    assert after.status_code == 200
