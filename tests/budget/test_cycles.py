from collections.abc import Callable

import httpx

from tests.conftest import assert_problem


async def test_city_officer_opens_a_cycle_with_korean_name(
    budget: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    response = await budget.post(
        "/budget/cycles",
        json={"name_ko": "2018년 시민참여예산", "fiscal_year": 2018},
        headers=auth("city_officer"),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["name_ko"] == "2018년 시민참여예산" and created["status"] == "draft"
    listed = (await budget.get("/budget/cycles")).json()["items"]
    assert created["id"] in [c["id"] for c in listed]
    assert (await budget.get(f"/budget/cycles/{created['id']}")).json()["name_ko"] == "2018년 시민참여예산"


async def test_writes_need_a_token_and_the_right_role(
    budget: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = {"name_ko": "x", "fiscal_year": 2018}
    assert_problem(await budget.post("/budget/cycles", json=body), 401)
    assert_problem(await budget.post("/budget/cycles", json=body, headers=auth("citizen")), 403)
    assert_problem(
        await budget.post("/budget/cycles", json=body, headers=auth("district_officer", "11110")), 403
    )
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert_problem(await budget.post("/budget/cycles", json=body, headers=bad), 401)


async def test_bad_input_names_the_field(
    budget: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = auth("city_officer")
    response = await budget.post(
        "/budget/cycles", json={"name_ko": "x", "fiscal_year": 1999}, headers=headers
    )
    assert_problem(response, 422, field="body.fiscal_year")
    response = await budget.post(
        "/budget/cycles", json={"name_ko": "x", "fiscal_year": 2100}, headers=headers
    )
    assert response.status_code == 201
    response = await budget.post(
        "/budget/cycles", json={"name_ko": "x", "fiscal_year": 2101}, headers=headers
    )
    assert_problem(response, 422, field="body.fiscal_year")
    response = await budget.post(
        "/budget/cycles", content=b'{"name_ko": ', headers={**headers, "content-type": "application/json"}
    )
    assert_problem(response, 400)
    assert_problem(await budget.get("/budget/cycles/999999"), 404, field="path.cycle_id")
    assert_problem(await budget.get("/budget/cycles/0"), 422, field="path.cycle_id")
