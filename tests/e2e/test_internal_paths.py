"""Internal endpoints through the real gateway and the real services: never reachable from outside.

The budget service's `/internal/evaluation-results` exists and answers a service token of evaluation when
called directly; through the gateway it is a 404 whatever the token (it is not in budget's published
OpenAPI, the gateway's allow-list). A service token opens no public path through the gateway.
"""

from collections.abc import Callable

import httpx
import pytest

from services.budget.settings import BudgetSettings
from shared.service_auth import mint_service_token
from tests.conftest import assert_problem
from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e

EVENT = {
    "event_id": "7d4f6c1e-5b1a-4a8e-9a51-2f7d3c0b9e11",
    "event_type": "evaluation.result_confirmed",
    "ordering_key": "target:1",
    "payload": {"target_id": 1},
    "created_at": "2026-12-02T10:00:00+09:00",
}


def service_token(caller: str = "evaluation", callee: str = "budget") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_service_token(BudgetSettings(), caller=caller, callee=callee)}"}


def test_internal_paths_are_404_through_the_gateway(
    system: System, gateway: httpx.Client, auth: Callable[..., dict[str, str]]
) -> None:
    direct = httpx.post(
        f"{system.url('budget')}/internal/evaluation-results", json=EVENT, headers=service_token(), timeout=10
    )
    assert direct.status_code == 200, direct.text  # the endpoint exists behind the gateway
    for path in ("/internal/evaluation-results", "/budget/internal/evaluation-results"):
        for headers in (service_token(), auth("admin"), {}):
            response = gateway.post(path, json=EVENT, headers=headers)
            assert_problem(response, 404)
    assert "/internal/evaluation-results" not in gateway.get("/openapi.json").json()["paths"]


def test_a_service_token_opens_no_public_path_through_the_gateway(gateway: httpx.Client) -> None:
    body = {"name_ko": "서비스 토큰 주기", "fiscal_year": 2030}
    assert_problem(gateway.post("/budget/cycles", json=body, headers=service_token()), 401)
    assert_problem(gateway.get("/budget/cycles", headers=service_token()), 401)


def test_internal_endpoints_refuse_user_tokens_and_other_callers(
    system: System, auth: Callable[..., dict[str, str]]
) -> None:
    url = f"{system.url('budget')}/internal/evaluation-results"
    assert_problem(httpx.post(url, json=EVENT, headers=auth("admin"), timeout=10), 401)
    assert_problem(httpx.post(url, json=EVENT, timeout=10), 401)
    assert_problem(httpx.post(url, json=EVENT, headers=service_token(caller="councils"), timeout=10), 403)
    assert_problem(httpx.post(url, json=EVENT, headers=service_token(callee="councils"), timeout=10), 403)
