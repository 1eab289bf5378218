from collections.abc import Callable

import httpx

from tests.conftest import assert_problem


async def test_cycles_are_created_by_city_officers_and_listed(
    evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = {"programme": "civic_platform", "name_ko": "2017 시민협력플랫폼 성과평가", "year": 2017}
    assert_problem(await evaluation.post("/evaluation/cycles", json=body, headers=auth("evaluator")), 403)
    created = await evaluation.post("/evaluation/cycles", json=body, headers=auth("city_officer"))
    assert created.status_code == 201, created.text
    listed = (await evaluation.get("/evaluation/cycles", params={"year": 2017})).json()["items"]
    assert [c["name_ko"] for c in listed] == ["2017 시민협력플랫폼 성과평가"]
    assert (await evaluation.get("/evaluation/cycles", params={"year": 2018})).json()["items"] == []


async def test_unknown_fields_and_cycles_are_problems(
    evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = {"programme": "p", "name_ko": "n", "year": 2017, "surprise": 1}
    response = await evaluation.post("/evaluation/cycles", json=body, headers=auth("city_officer"))
    assert_problem(response, 422, field="body.surprise")
    assert_problem(await evaluation.get("/evaluation/cycles/12345"), 404)
