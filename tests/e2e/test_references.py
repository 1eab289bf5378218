"""An evaluation target's councils organisation and district, checked against a real councils process when
the target is written: up (201, or 422 naming the field), down (503 + Retry-After, nothing stored), back.
The same for a grant's organisation, and for a grant's district when it names no organisation."""

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import Database, assert_problem
from tests.e2e.conftest import System, free_port, running

pytestmark = pytest.mark.e2e

Auth = Callable[..., dict[str, str]]
EUNPYEONG, GANGBUK = "11380", "11305"


def organization(gateway: httpx.Client, auth: Auth, district: str | None) -> int:
    body = {"classification": "consortium", "name_ko": "은평 시민협력 컨소시엄", "district_code": district}
    response = gateway.post("/councils/organizations", json=body, headers=auth("city_officer"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def cycle(client: httpx.Client, auth: Auth) -> int:
    # Committed in the suite's database: a year no in-process test lists (test_cycles lists 2017 and 2018).
    body = {"programme": "civic_platform", "name_ko": "2096 시민협력플랫폼 성과평가", "year": 2096}
    response = client.post("/evaluation/cycles", json=body, headers=auth("city_officer"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def add_target(client: httpx.Client, auth: Auth, cycle_id: int, org: int, district: str) -> httpx.Response:
    body = {"organization_id": org, "district_code": district, "round": 1}
    return client.post(f"/evaluation/cycles/{cycle_id}/targets", json=body, headers=auth("city_officer"))


def targets(client: httpx.Client, auth: Auth, cycle_id: int) -> list[int]:
    response = client.get(f"/evaluation/cycles/{cycle_id}/targets", headers=auth("auditor"))
    assert response.status_code == 200, response.text
    return [item["organization_id"] for item in response.json()["items"]]


def test_a_target_names_a_registered_organisation_of_its_district(gateway: httpx.Client, auth: Auth) -> None:
    org, city_level = organization(gateway, auth, EUNPYEONG), organization(gateway, auth, None)
    cycle_id = cycle(gateway, auth)
    other = add_target(gateway, auth, cycle_id, org, GANGBUK)
    assert assert_problem(other, 422, "body.district_code")["code"] == "organization-outside-district"
    unknown = add_target(gateway, auth, cycle_id, 2**31 - 1, EUNPYEONG)
    assert assert_problem(unknown, 422, "body.organization_id")["code"] == "unknown-organization"
    assert_problem(add_target(gateway, auth, cycle_id, city_level, EUNPYEONG), 422, "body.district_code")
    korean = gateway.post(
        f"/evaluation/cycles/{cycle_id}/targets",
        json={"organization_id": org, "district_code": GANGBUK, "round": 1},
        headers={**auth("city_officer"), "Accept-Language": "ko"},
    )
    assert assert_problem(korean, 422)["title"] == "다른 자치구의 기관"
    assert targets(gateway, auth, cycle_id) == []
    assert add_target(gateway, auth, cycle_id, org, EUNPYEONG).status_code == 201
    assert targets(gateway, auth, cycle_id) == [org]


@dataclass
class WithoutCouncils:
    """A service process whose councils URL is a port where nothing listens, until `councils_back()`."""

    url: str
    councils_port: int
    env: dict[str, str]
    log_dir: Path

    @contextmanager
    def councils_back(self) -> Iterator[None]:
        """A real councils process on that port for the body, stopped after."""
        with running("councils", self.councils_port, {**os.environ, **self.env}, self.log_dir):
            yield


@contextmanager
def without_councils(
    system: System, service: str, councils_url: str, settings: dict[str, str], log_dir: Path
) -> Iterator[WithoutCouncils]:
    """`service` started with its setting `councils_url` naming a free port, and `settings`."""
    councils_port, port = free_port(), free_port()
    env = {**system.env, councils_url: f"http://127.0.0.1:{councils_port}", **settings}
    with running(service, port, env, log_dir) as url:
        yield WithoutCouncils(url, councils_port, env, log_dir)


@pytest.fixture
def lonely_evaluation(
    database: Database, system: System, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WithoutCouncils]:
    """An evaluation process whose councils is a port where nothing listens (until the test starts one)."""
    settings = {
        "EVALUATION_COUNCILS_TIMEOUT": "1",  # one refusal is 3 failed attempts: under the breaker's 5
        "EVALUATION_RELAY_ENABLED": "false",
    }
    log_dir = tmp_path_factory.mktemp("references")
    with without_councils(system, "evaluation", "EVALUATION_COUNCILS_URL", settings, log_dir) as lonely:
        yield lonely


def test_councils_down_is_a_503_with_retry_after_and_nothing_stored_then_back(
    gateway: httpx.Client, auth: Auth, lonely_evaluation: WithoutCouncils
) -> None:
    org = organization(
        gateway, auth, EUNPYEONG
    )  # registered in the shared database, through the real councils
    with httpx.Client(base_url=lonely_evaluation.url, timeout=15) as evaluation:
        cycle_id = cycle(evaluation, auth)
        refused = add_target(evaluation, auth, cycle_id, org, EUNPYEONG)
        body = assert_problem(refused, 503)
        assert body["code"] == "councils-unavailable" and int(refused.headers["Retry-After"]) >= 1
        assert targets(evaluation, auth, cycle_id) == []

        with lonely_evaluation.councils_back():
            response = add_target(evaluation, auth, cycle_id, org, EUNPYEONG)
            assert response.status_code == 201, response.text
            assert targets(evaluation, auth, cycle_id) == [org]


@pytest.fixture
def lonely_budget(
    database: Database, system: System, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WithoutCouncils]:
    """A budget process whose councils is a port where nothing listens (until the test starts one)."""
    settings = {"BUDGET_COUNCILS_TIMEOUT": "1", "BUDGET_COUNCIL_RECHECK_ENABLED": "false"}
    log_dir = tmp_path_factory.mktemp("grant-references")
    with without_councils(system, "budget", "COUNCILS_URL", settings, log_dir) as lonely:
        yield lonely


def apply_for_grant(client: httpx.Client, auth: Auth, org: int | None, district: str) -> httpx.Response:
    body = {
        "kind": "civic_platform",
        "district_code": district,
        "organization_id": org,
        "fiscal_year": 2095,
        "title_ko": "은평 시민협력플랫폼",
        "amount_krw": 50_000_000,
        "district_share_krw": 0,
    }
    return client.post("/budget/grants", json=body, headers=auth("district_officer", district))


def grants_of(client: httpx.Client, auth: Auth, district: str) -> list[int | None]:
    params: dict[str, str | int] = {"fiscal_year": 2095, "district_code": district}
    response = client.get("/budget/grants", params=params, headers=auth("auditor"))
    assert response.status_code == 200, response.text
    return [item["organization_id"] for item in response.json()["items"]]


def test_a_grant_names_a_registered_organisation_checked_with_councils_up_down_and_back(
    gateway: httpx.Client, auth: Auth, lonely_budget: WithoutCouncils
) -> None:
    city = auth("city_officer")
    policy = {
        "yearly_max_krw": 100_000_000,
        "max_years": 3,
        "increase_percent": 10,
        "reduce_percent": 20,
        "min_district_share_bp": 0,
        "phases": [{"phase": "operation", "application_deadline": "2095-12-31"}],
    }
    assert gateway.put("/budget/grant-policies/2095/civic_platform", json=policy, headers=city).is_success
    for district in (EUNPYEONG, GANGBUK):
        funding = {"funding_type": "general", "neighbourhoods": 0}
        assert gateway.put(
            f"/budget/districts/{district}/funding/2095", json=funding, headers=city
        ).is_success
    org = organization(gateway, auth, EUNPYEONG)
    with httpx.Client(base_url=lonely_budget.url, timeout=30) as budget:
        refused = apply_for_grant(budget, auth, org, EUNPYEONG)
        assert assert_problem(refused, 503)["code"] == "councils-unavailable"
        assert int(refused.headers["Retry-After"]) >= 1
        no_organisation = apply_for_grant(budget, auth, None, GANGBUK)
        assert assert_problem(no_organisation, 503)["code"] == "councils-unavailable"
        assert int(no_organisation.headers["Retry-After"]) >= 1
        assert grants_of(budget, auth, EUNPYEONG) == []
        assert grants_of(budget, auth, GANGBUK) == []

        with lonely_budget.councils_back():
            deadline = time.monotonic() + 30  # the breaker may hold calls back for its reset time first
            response = apply_for_grant(budget, auth, org, EUNPYEONG)
            while response.status_code == 503 and time.monotonic() < deadline:
                time.sleep(1)
                response = apply_for_grant(budget, auth, org, EUNPYEONG)
            assert response.status_code == 201, response.text
            other = apply_for_grant(budget, auth, org, GANGBUK)
            assert assert_problem(other, 422, "body.district_code")["code"] == "organization-outside-district"
            unknown = apply_for_grant(budget, auth, 2**31 - 1, EUNPYEONG)
            assert assert_problem(unknown, 422, "body.organization_id")["code"] == "unknown-organization"
            district_only = apply_for_grant(budget, auth, None, GANGBUK)  # councils registers 강북구
            assert district_only.status_code == 201, district_only.text
            assert_problem(apply_for_grant(budget, auth, None, "11999"), 422, "body.district_code")
            assert grants_of(budget, auth, EUNPYEONG) == [org]
            assert grants_of(budget, auth, GANGBUK) == [None]
