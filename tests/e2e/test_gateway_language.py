"""The gateway's own errors follow the caller's Accept-Language; it forwards the header to the services."""

from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest

from gateway.main import create_app
from gateway.settings import GatewaySettings
from tests.e2e.conftest import gateway_over_echo
from tests.languages import ask_both, assert_same_problem_in_both

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("language") / "log.txt"
    with gateway_over_echo(
        log,
        lambda echo, dead: {
            "GATEWAY_COUNCILS_URL": echo,
            "GATEWAY_BUDGET_URL": dead,
            # a service that answers, but not with its OpenAPI document: no route table, 502
            "GATEWAY_EVALUATION_URL": echo + "/not-a-service",
            "GATEWAY_READ_TIMEOUT": "0.5",
            # small enough for the server to take the refused body in; a large unread one resets the socket
            "GATEWAY_MAX_BODY_BYTES": "1000",
        },
    ) as url:
        yield url


def _get(url: str, method: str = "GET") -> Callable[[dict[str, str]], Awaitable[httpx.Response]]:
    async def send(headers: dict[str, str]) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.request(method, url, headers=headers)

    return send


async def test_accept_language_reaches_the_service(gateway: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{gateway}/councils/echo", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert response.json()["headers"]["accept-language"] == "ko-KR,ko;q=0.9"


@pytest.mark.parametrize(
    ("path", "method", "status", "code", "detail_ko"),
    [
        (
            "/councils/nothing-here",
            "GET",
            404,
            "not-found",
            "공개 경로 /councils/nothing-here이(가) 없습니다.",
        ),
        (
            "/councils/echo",
            "DELETE",
            405,
            "method-not-allowed",
            "/councils/echo은(는) DELETE 메서드를 허용하지",
        ),
        ("/councils/slow", "GET", 504, "upstream-timeout", "councils 서비스가 제한 시간 안에 응답하지"),
        ("/evaluation/cycles", "GET", 502, "upstream-error", "evaluation 서비스가 응답하지 못했습니다."),
        ("/budget/cycles", "GET", 503, "upstream-unavailable", "budget 서비스를 사용할 수 없습니다."),
        ("/councils/a%2fb", "GET", 400, "path-not-canonical", None),
        ("/councils/echo", "POST", 401, "unauthorized", "이 작업에는 bearer 토큰이 필요합니다."),
    ],
)
async def test_the_gateways_own_errors_in_both_languages(
    gateway: str, path: str, method: str, status: int, code: str, detail_ko: str | None
) -> None:
    en, ko = assert_same_problem_in_both(*await ask_both(_get(gateway + path, method=method)), status)
    assert en["code"] == code
    if detail_ko is not None:
        assert ko["detail"].startswith(detail_ko)


async def test_a_path_outside_every_service_in_both_languages(gateway: str) -> None:
    en, ko = assert_same_problem_in_both(*await ask_both(_get(f"{gateway}/nowhere")), 404)
    assert (en["title"], ko["title"]) == ("Not Found", "찾을 수 없음")


async def test_a_body_over_the_gateways_limit_in_both_languages(
    gateway: str, auth: Callable[..., dict[str, str]]
) -> None:
    token = auth("city_officer")
    body = b"x" * 1001

    async def send(headers: dict[str, str]) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(f"{gateway}/councils/echo", content=body, headers={**token, **headers})

    en, ko = assert_same_problem_in_both(*await ask_both(send), 413, "body")
    assert (
        en["code"] == "payload-too-large"
        and ko["detail"] == "요청 본문이 이 경로의 한도 1000바이트보다 큽니다."
    )


async def test_a_refused_preflight_in_both_languages() -> None:
    dead = "http://127.0.0.1:9"
    settings = GatewaySettings.model_validate(
        {
            "GATEWAY_BUDGET_URL": dead,
            "GATEWAY_COUNCILS_URL": dead,
            "GATEWAY_EVALUATION_URL": dead,
            "GATEWAY_CORS_ORIGINS": ["https://budget.seoul.example"],
        }
    )
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        en, ko = assert_same_problem_in_both(
            *await ask_both(lambda h: client.options("/budget/cycles", headers={**preflight, **h})),
            400,
            "header.Origin",
        )
    assert en["code"] == "cors-refused" and ko["title"] == "교차 출처 요청 거부"
