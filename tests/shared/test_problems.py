"""Every error path is problem+json, including the ones nobody planned for."""

import httpx
from fastapi import FastAPI

from shared.problems import RuleViolation, install_problem_handlers
from tests.conftest import assert_problem


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/rule")
    async def rule() -> None:
        raise RuleViolation(
            "the shortlist exceeds 170 % of the envelope",
            detail_ko="1차 심사 목록이 예산 한도의 170 %를 넘습니다",
            field="body.proposal_ids",
        )

    return app


async def test_unhandled_errors_are_500_problems_without_internals() -> None:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        body = assert_problem(await client.get("/boom"), 500)
        assert "secret internals" not in str(body)
        assert body["code"] == "internal-error"


async def test_domain_errors_carry_code_and_field() -> None:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        body = assert_problem(await client.get("/rule"), 422, field="body.proposal_ids")
        assert body["type"].endswith("/rule-violation")
        assert "170 %" in body["detail"]


async def test_errors_are_in_korean_when_the_caller_prefers_it() -> None:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for header in ("ko", "ko-KR,ko;q=0.9,en;q=0.8", "en;q=0.5, ko"):
            response = await client.get("/rule", headers={"Accept-Language": header})
            body = assert_problem(response, 422, field="body.proposal_ids")
            assert (body["title"], body["code"]) == ("규칙 위반", "rule-violation"), header
            assert "170 %를 넘습니다" in body["detail"] and body["errors"][0]["message"] == body["detail"]
            assert response.headers["content-language"] == "ko"
        for header in (None, "en", "ko;q=0.1, en", "fr", "ko;q=0"):
            headers = {"Accept-Language": header} if header else {}
            response = await client.get("/rule", headers=headers)
            body = assert_problem(response, 422, field="body.proposal_ids")
            assert (body["title"], body["code"]) == ("Rule violated", "rule-violation"), header
            assert "message_ko" not in body["errors"][0]
            assert response.headers["content-language"] == "en"


def test_a_service_documents_its_errors_as_problem_json_only() -> None:
    from services.evaluation.main import create_app

    spec = create_app().openapi()
    errors = [
        (path, status, response)
        for path, item in spec["paths"].items()
        for operation in item.values()
        for status, response in operation["responses"].items()
        if status[0] in "45"
    ]
    assert errors
    for path, status, response in errors:
        assert response["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }, (path, status)
