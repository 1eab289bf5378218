"""Hostile bodies through the real gateway to a real service: refused as 4xx, and the next caller is fine."""

from collections.abc import Callable

import httpx
import pytest

from tests.conftest import assert_problem
from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e

FIFTY_MB = 50 * 1024 * 1024


def _writes_still_succeed(gateway: httpx.Client, auth: Callable[..., dict[str, str]], year: int) -> None:
    for attempt in range(5):
        body = {"name_ko": f"{year}년 시민참여예산 {attempt}", "fiscal_year": year}
        response = gateway.post("/budget/cycles", json=body, headers=auth("city_officer"))
        assert response.status_code == 201, response.text


def test_a_50_mb_get_body_is_refused_unread_and_the_next_requests_succeed(
    system: System, auth: Callable[..., dict[str, str]]
) -> None:
    with httpx.Client(base_url=system.gateway, timeout=30) as client:
        try:
            response = client.request(
                "GET", "/budget/cycles", content=b"[" * FIFTY_MB, headers={"content-type": "application/json"}
            )
        except httpx.TransportError:
            response = None  # the refusal may close the connection before the client finished sending
        if response is not None:
            # The gateway refuses it from its Content-Length, before forwarding a byte.
            assert assert_problem(response, 400, "body")["code"] == "body-not-allowed"
        assert client.get("/budget/cycles").status_code == 200
        _writes_still_succeed(client, auth, 2030)
    # the service itself answers such a request without reading it
    direct = httpx.Client(base_url=system.url("budget"), timeout=30)
    with direct:
        try:
            refused = direct.request("GET", "/budget/cycles", content=b"[" * FIFTY_MB)
            assert_problem(refused, 400, "body")
            assert refused.json()["code"] == "body-not-allowed"
        except httpx.TransportError:
            pass  # closed before the whole body was written: also unread
        assert direct.get("/budget/cycles").status_code == 200


@pytest.mark.parametrize("depth", [500, 5000])
def test_deep_json_is_refused_and_the_next_writes_succeed(
    gateway: httpx.Client, auth: Callable[..., dict[str, str]], depth: int
) -> None:
    deep = b"[" * depth + b"]" * depth
    headers = {**auth("city_officer"), "content-type": "application/json"}
    on_get = gateway.request("GET", "/budget/cycles", content=deep, headers=headers)
    assert assert_problem(on_get, 400, "body")["code"] == "body-not-allowed"
    on_post = gateway.post("/budget/cycles", content=deep, headers=headers)
    assert assert_problem(on_post, 400, "body")["code"] == "json-too-deep"
    _writes_still_succeed(gateway, auth, 2031 + depth % 7)


def test_a_foreign_cursor_through_the_gateway_is_400(gateway: httpx.Client) -> None:
    response = gateway.get("/budget/cycles", params={"cursor": "WyJ4Il0"})
    assert assert_problem(response, 400, "query.cursor")["code"] == "invalid-cursor"
