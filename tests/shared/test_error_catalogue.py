"""Every error has its Korean texts: the catalogue read from the source, and a sample of each family asked in
English and in Korean through the API (the code and the fields stay; only the texts change)."""

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from shared.problems import install_problem_handlers
from tests.evaluation.conftest import Evaluation
from tests.languages import ask_both, assert_same_problem_in_both
from tests.shared import catalogue

Auth = Callable[..., dict[str, str]]


def test_every_error_class_with_its_own_title_has_a_korean_title() -> None:
    classes = catalogue.problem_classes()
    assert len(classes) > 80  # every service, gateway and shared module was imported
    assert catalogue.classes_without_korean_title() == []


def test_every_error_built_in_the_source_has_a_korean_detail() -> None:
    missing = catalogue.sites_without_korean()
    assert not missing, "no Korean detail (pass detail_ko=):\n" + "\n".join(map(str, missing))


def test_every_field_error_built_in_the_source_has_a_korean_message() -> None:
    missing = catalogue.field_errors_without_korean()
    assert not missing, "no Korean message (pass message_ko=):\n" + "\n".join(map(str, missing))


def test_validators_raise_their_errors_with_korean_text() -> None:
    bare = catalogue.validator_value_errors()
    assert not bare, "raise shared.language.ValueErrorKo(english, korean):\n" + "\n".join(map(str, bare))


def test_the_walk_finds_an_error_without_korean(tmp_path: Path) -> None:
    source = tmp_path / "errors.py"
    source.write_text(
        "from shared.problems import Conflict, NotFound, FieldError\n"
        "from services.councils.districts.errors import DistrictNotFound\n"
        "from services.budget.elections import errors\n"
        "def f(x):\n"
        "    if x:\n"
        "        raise Conflict('taken')\n"
        "    if x > 1:\n"
        "        raise errors.InvalidBallot('c', 'd', 'body.x')\n"
        "    if x > 2:\n"
        "        raise NotFound('gone', detail_ko='없습니다.', errors=[FieldError(field='f', message='m')])\n"
        "    raise DistrictNotFound('11110')  # builds its Korean detail itself\n"
        "register_constraint('uq_x', Conflict, 'taken', 'body.x')\n"
        "class S(BaseModel):\n"
        "    @field_validator('x')\n"
        "    def v(cls, x):\n"
        "        raise ValueError('bad')\n"
    )
    lines = sorted((site.line, site.name) for site in catalogue.sites_without_korean([source]))
    assert lines == [(6, "Conflict"), (8, "InvalidBallot"), (12, "register_constraint")]
    assert [site.line for site in catalogue.field_errors_without_korean([source])] == [10]
    (tmp_path / "schemas.py").write_text(source.read_text())
    assert [site.line for site in catalogue.validator_value_errors([tmp_path / "schemas.py"])] == [16]


async def test_a_domain_404_in_both_languages(councils: httpx.AsyncClient) -> None:
    en, ko = assert_same_problem_in_both(
        *await ask_both(lambda h: councils.get("/councils/districts/99999", headers=h)), 404, "path.code"
    )
    assert (en["code"], en["title"], en["detail"]) == (
        "district-not-found",
        "District not found",
        "no district has code 99999",
    )
    assert (ko["title"], ko["detail"]) == ("자치구를 찾을 수 없음", "코드가 99999인 자치구가 없습니다.")


async def test_a_domain_409_and_422_in_both_languages(evaluation: httpx.AsyncClient, auth: Auth) -> None:
    api = Evaluation(evaluation, auth)
    cycle_id = await api.cycle()
    target = await api.target(cycle_id)
    body = {
        "organization_id": target["organization_id"],
        "district_code": target["district_code"],
        "round": 1,
    }
    en, ko = assert_same_problem_in_both(
        *await ask_both(
            lambda h: evaluation.post(
                f"/evaluation/cycles/{cycle_id}/targets", json=body, headers={**api.city, **h}
            )
        ),
        409,
        "body.organization_id",
    )
    assert en["code"] == "target-exists" and ko["title"] == "평가 대상이 이미 있음"
    assert str(cycle_id) in ko["detail"] and str(target["id"]) in ko["detail"]  # numbers kept
    en, ko = assert_same_problem_in_both(
        *await ask_both(
            lambda h: evaluation.post(
                f"/evaluation/cycles/{cycle_id}/rounds/2/open", headers={**api.city, **h}
            )
        ),
        422,
        "path.round",
    )
    assert en["code"] == "round-has-no-targets"
    assert ko["detail"] == f"주기 {cycle_id}의 2회차에는 평가 대상이 없습니다."


async def test_request_validation_in_both_languages(evaluation: httpx.AsyncClient, auth: Auth) -> None:
    api = Evaluation(evaluation, auth)
    cycle_id = await api.cycle()
    url = f"/evaluation/cycles/{cycle_id}/rounds/1/windows"
    # a validator's own Korean text, a pydantic type's message, and a missing field, in one answer
    body = {"phase": "report_submission", "starts_on": "2017-08-31", "ends_on": "2017-08-25", "extra": 1}
    en, ko = assert_same_problem_in_both(
        *await ask_both(lambda h: evaluation.post(url, json=body, headers={**api.city, **h})), 422
    )
    assert en["code"] == "validation-error" and en["detail"].startswith("Invalid request: body.")
    assert ko["detail"].startswith("요청이 올바르지 않습니다: body.")
    messages = {error["field"]: error["message"] for error in ko["errors"]}
    assert messages["body.ends_on"] == "마지막 날 2017-08-25이(가) 첫날 2017-08-31보다 앞섭니다."
    assert messages["body.extra"] == "허용되지 않는 항목입니다."
    en, ko = assert_same_problem_in_both(
        *await ask_both(lambda h: evaluation.post(url, json={"phase": "nope"}, headers={**api.city, **h})),
        422,
    )
    messages = {error["field"]: error["message"] for error in ko["errors"]}
    assert messages["body.starts_on"] == "필수 항목입니다."
    assert messages["body.phase"].startswith("다음 중 하나여야 합니다: 'report_submission', ")
    assert " or " not in messages["body.phase"]


async def test_malformed_json_in_both_languages(councils: httpx.AsyncClient, auth: Auth) -> None:
    headers = {**auth("city_officer"), "Content-Type": "application/json"}
    en, ko = assert_same_problem_in_both(
        *await ask_both(lambda h: councils.post("/councils/bodies", content=b"{", headers={**headers, **h})),
        400,
    )
    assert en["code"] == "malformed-json" and ko["detail"] == "요청 본문이 올바른 JSON이 아닙니다."


async def test_401_and_403_in_both_languages(councils: httpx.AsyncClient, auth: Auth) -> None:
    en, ko = assert_same_problem_in_both(
        *await ask_both(lambda h: councils.post("/councils/bodies", json={}, headers=h)), 401
    )
    assert en["code"] == "unauthorized" and ko["detail"] == "이 작업에는 bearer 토큰이 필요합니다."
    en, ko = assert_same_problem_in_both(
        *await ask_both(
            lambda h: councils.post("/councils/bodies", json={}, headers={**auth("citizen"), **h})
        ),
        403,
    )
    assert en["code"] == "forbidden" and ko["detail"].startswith("citizen 역할은 이 작업을 할 수 없습니다.")
    bad = {"Authorization": "Bearer not-a-token"}
    en, ko = assert_same_problem_in_both(
        *await ask_both(lambda h: councils.post("/councils/bodies", json={}, headers={**bad, **h})), 401
    )
    assert ko["detail"].startswith("유효하지 않은 bearer 토큰입니다")


async def test_a_bad_cursor_in_both_languages(councils: httpx.AsyncClient) -> None:
    en, ko = assert_same_problem_in_both(
        *await ask_both(lambda h: councils.get("/councils/districts", params={"cursor": "AAAA"}, headers=h)),
        400,
        "query.cursor",
    )
    assert en["code"] == "invalid-cursor" and ko["detail"] == "이 API가 발급한 커서가 아닙니다."


async def test_a_body_over_the_limit_in_both_languages(councils: httpx.AsyncClient, auth: Auth) -> None:
    body = b"[" + b" " * (1 << 20) + b"]"
    headers = {**auth("city_officer"), "Content-Type": "application/json"}
    en, ko = assert_same_problem_in_both(
        *await ask_both(lambda h: councils.post("/councils/bodies", content=body, headers={**headers, **h})),
        413,
        "body",
    )
    assert en["code"] == "payload-too-large" and ko["title"] == "요청 본문이 너무 큼"
    assert ko["detail"] == "요청 본문이 이 경로의 한도 1,048,576바이트보다 큽니다."
    assert ko["max_body_bytes"] == en["max_body_bytes"] == 1 << 20
    en, ko = assert_same_problem_in_both(
        *await ask_both(lambda h: councils.request("GET", "/councils/districts", content=b"{}", headers=h)),
        400,
        "body",
    )
    assert en["code"] == "body-not-allowed" and ko["detail"] == "GET 요청에는 본문을 보낼 수 없습니다."


async def test_framework_404_and_405_in_both_languages(councils: httpx.AsyncClient) -> None:
    en, ko = assert_same_problem_in_both(
        *await ask_both(lambda h: councils.get("/councils/no-such-thing", headers=h)), 404
    )
    assert (en["title"], en["detail"]) == ("Not Found", "Not Found")
    assert (ko["title"], ko["detail"]) == ("찾을 수 없음", "찾을 수 없음")
    en, ko = assert_same_problem_in_both(
        *await ask_both(lambda h: councils.delete("/councils/districts", headers=h)), 405
    )
    assert en["code"] == "method-not-allowed" and ko["title"] == "허용되지 않는 메서드"


async def test_the_unhandled_500_in_both_languages() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        en, ko = assert_same_problem_in_both(*await ask_both(lambda h: client.get("/boom", headers=h)), 500)
    assert en["detail"] == "An unexpected error occurred; it has been logged."
    assert ko["detail"] == "예기치 않은 오류가 발생했습니다. 오류는 기록되었습니다."


@pytest.mark.parametrize("header", [None, "en", "fr", "ko;q=0", "ko;q=0.1, en", "*"])
async def test_english_is_the_answer_unless_korean_is_preferred(
    councils: httpx.AsyncClient, header: str | None
) -> None:
    headers = {"Accept-Language": header} if header is not None else {}
    response = await councils.get("/councils/districts/99999", headers=headers)
    assert response.json()["title"] == "District not found" and response.headers["content-language"] == "en"
