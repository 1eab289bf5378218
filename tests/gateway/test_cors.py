"""CORS at the gateway: which origins, which headers, and preflights answered without a service."""

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError
from starlette.datastructures import MutableHeaders

from gateway.cors import vary_origin
from gateway.main import create_app
from gateway.settings import DEV_CORS_ORIGINS, GatewaySettings
from tests.conftest import assert_problem

ALLOWED = "https://budget.seoul.example"
OTHER = "https://elsewhere.example"
# No service listens there: a request that reached the proxy would need its route table and fail.
DEAD = "http://127.0.0.1:9"


def settings(**values: object) -> GatewaySettings:
    return GatewaySettings.model_validate(
        {"GATEWAY_BUDGET_URL": DEAD, "GATEWAY_COUNCILS_URL": DEAD, "GATEWAY_EVALUATION_URL": DEAD, **values}
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(GATEWAY_CORS_ORIGINS=[ALLOWED]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        yield client


def preflight(origin: str, **extra: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        **extra,
    }


async def test_a_preflight_from_an_allowed_origin_is_answered_by_the_gateway(
    client: httpx.AsyncClient,
) -> None:
    response = await client.options("/budget/cycles", headers=preflight(ALLOWED))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "content-type", "idempotency-key", "if-match", "accept-language"):
        assert header in allowed
    assert "access-control-allow-credentials" not in response.headers
    assert response.headers["x-request-id"]


async def test_a_preflight_with_a_body_is_still_answered(client: httpx.AsyncClient) -> None:
    # A plain OPTIONS with a body is refused (400 body-not-allowed); a preflight never gets that far.
    response = await client.request("OPTIONS", "/budget/cycles", headers=preflight(ALLOWED), content=b"x")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED


async def test_a_preflight_from_another_origin_gets_no_cors_headers(client: httpx.AsyncClient) -> None:
    response = await client.options("/budget/cycles", headers=preflight(OTHER))
    assert assert_problem(response, 400, "header.Origin")["code"] == "cors-refused"
    assert "access-control-allow-origin" not in response.headers


async def test_a_preflight_asking_for_an_unlisted_header_is_refused(client: httpx.AsyncClient) -> None:
    headers = preflight(ALLOWED, **{"Access-Control-Request-Headers": "x-secret"})
    response = await client.options("/budget/cycles", headers=headers)
    assert assert_problem(response, 400, "header.Access-Control-Request-Headers")["code"] == "cors-refused"


async def test_an_options_without_origin_is_no_preflight_and_reaches_the_proxy(
    client: httpx.AsyncClient,
) -> None:
    # The app's lifespan is not run here, so the proxy has no upstream clients: reaching it raises. The
    # preflights above were answered without it.
    with pytest.raises(RuntimeError, match="upstream clients are not started"):
        await client.options("/budget/cycles", headers={"Access-Control-Request-Method": "POST"})


async def test_an_error_from_the_gateway_carries_the_cors_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-path", headers={"Origin": ALLOWED})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["access-control-allow-origin"] == ALLOWED
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"x-request-id", "etag", "retry-after", "location", "idempotent-replayed"}


async def test_a_request_from_another_origin_gets_no_cors_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/livez", headers={"Origin": OTHER})
    assert response.status_code == 200
    # Starlette sends Access-Control-Expose-Headers to any origin; without Allow-Origin a browser
    # still refuses the answer to the page.
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-credentials" not in response.headers


def test_production_allows_no_origin_unless_named() -> None:
    assert settings(APP_ENV="production", JWT_SECRET="x" * 40).allowed_origins() == []
    named = settings(APP_ENV="production", JWT_SECRET="x" * 40, GATEWAY_CORS_ORIGINS=[ALLOWED])
    assert named.allowed_origins() == [ALLOWED]


@pytest.mark.parametrize("env", ["dev", "test"])
def test_development_allows_the_local_dev_servers(env: str) -> None:
    assert settings(APP_ENV=env).allowed_origins() == list(DEV_CORS_ORIGINS)
    assert "http://localhost:5173" in DEV_CORS_ORIGINS


def test_the_origins_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", f'["{ALLOWED}"]')
    assert GatewaySettings().allowed_origins() == [ALLOWED]


async def test_credentials_are_allowed_only_when_a_setting_says_so() -> None:
    app = create_app(settings(GATEWAY_CORS_ORIGINS=[ALLOWED], GATEWAY_CORS_ALLOW_CREDENTIALS=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        response = await client.options("/budget/cycles", headers=preflight(ALLOWED))
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-origin"] == ALLOWED


def test_credentials_are_refused_with_a_wildcard_origin() -> None:
    with pytest.raises(ValidationError, match="named origins"):
        settings(GATEWAY_CORS_ORIGINS=["*"], GATEWAY_CORS_ALLOW_CREDENTIALS=True)
    assert settings(GATEWAY_CORS_ORIGINS=["*"]).allowed_origins() == ["*"]


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"content-type", b"application/json")],
        [(b"vary", b"Accept-Language")],
        [(b"vary", b"Accept"), (b"etag", b'"1"'), (b"vary", b"Accept-Language, Cookie")],
        [(b"Vary", b"Accept"), (b"vary", b"")],  # only lower-case names are Starlette's
    ],
    ids=["none", "other", "one-vary", "two-vary", "case-and-empty"],
)
def test_vary_origin_is_what_starlettes_cors_sends_without_an_origin(
    headers: list[tuple[bytes, bytes]],
) -> None:
    message = {"type": "http.response.start", "headers": list(headers)}
    starlette = MutableHeaders(scope=message)
    starlette["Vary"] = ", ".join([*starlette.getlist("Vary"), "Origin"])
    assert vary_origin(headers) == message["headers"]


async def test_an_answer_to_a_request_without_origin_varies_on_origin(client: httpx.AsyncClient) -> None:
    for path, vary in (("/livez", "Origin"), ("/no-such-path", "Accept-Language, Origin")):
        response = await client.get(path)
        assert response.headers.get_list("vary") == [vary]
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-expose-headers" not in response.headers
