"""Helpers for the money tests: grant policies, district types, applications through the API."""

from typing import Any

from tests.budget.conftest import DISTRICT, Budget

M = 1_000_000


def innovation_policy(share_bp: int = 3000) -> dict[str, Any]:
    return {
        "planning_max_krw": 100 * M,
        "plan_total_krw": 300 * M,
        "min_district_share_bp": share_bp,
        "phases": [
            # seed 003: 수립 applications until 7.31, 실행 until the end of June
            {
                "phase": "planning",
                "application_deadline": "2017-07-31",
                "starts_on": "2017-08-01",
                "ends_on": "2017-12-31",
            },
            {
                "phase": "execution",
                "application_deadline": "2017-06-30",
                "starts_on": "2017-07-01",
                "ends_on": "2017-12-31",
            },
        ],
        "source": "seed 003",
    }


def platform_policy(year: int, opens_on: str | None = None, share_bp: int = 0) -> dict[str, Any]:
    return {
        "yearly_max_krw": 100 * M,
        "max_years": 3,
        "increase_percent": 10,
        "reduce_percent": 20,
        "min_district_share_bp": share_bp,
        "phases": [
            {"phase": "operation", "applications_open_on": opens_on, "application_deadline": f"{year}-12-31"}
        ],
    }


async def set_policy(api: Budget, year: int, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = await api.ok("PUT", f"/budget/grant-policies/{year}/{kind}", api.city, json=body)
    return result


async def assign(
    api: Budget, funding_type: str, year: int = 2017, district: str = DISTRICT, neighbourhoods: int = 0
) -> None:
    body = {"funding_type": funding_type, "neighbourhoods": neighbourhoods}
    await api.ok("PUT", f"/budget/districts/{district}/funding/{year}", api.city, json=body)


def application(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "district_code": DISTRICT,
        "fiscal_year": 2017,
        "title_ko": "지역사회혁신계획" if kind == "innovation_plan" else "시민협력플랫폼",
        **fields,
    }


async def apply(api: Budget, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return await api.client.post("/budget/grants", json=body, headers=headers or api.officer)


async def awarded_platform(api: Budget, amount: int, year: int = 2017, **fields: Any) -> dict[str, Any]:
    body = application("civic_platform", fiscal_year=year, amount_krw=amount, district_share_krw=0, **fields)
    grant = await api.ok("POST", "/budget/grants", api.officer, json=body)
    result: dict[str, Any] = await api.ok("POST", f"/budget/grants/{grant['id']}/award", api.city)
    return result
