"""A grant naming a councils organisation is checked with councils when written
(shared/councils_references.py): registered and of the grant's district, or a 422 naming the field; councils
unable to answer, a 503 with Retry-After and nothing stored. Here an httpx transport stands in for councils'
`GET /councils/organizations/{id}` and `GET /councils/districts/{code}` (the real process:
tests/e2e/test_references.py). A grant with no organisation has its district checked the same way."""

from collections.abc import Iterator

import httpx
import pytest

from shared.councils_references import CouncilsReferences
from shared.service_client import CallPolicy, ServiceClient
from tests.budget.conftest import DISTRICT, Auth, Budget
from tests.budget.money import application, apply, assign, platform_policy, set_policy
from tests.clock import Clock
from tests.conftest import ServiceHarness, assert_problem

TITLE = "참조 확인 시민협력플랫폼"
ORGANIZATIONS = {7: DISTRICT, 8: "11140", 9: None}  # 종로구's consortium, 중구's, a city-level one
# One of Seoul's 25 codes (so past the schema's own check) that this stand-in councils does not register.
UNREGISTERED = "11740"  # 강동구


def councils_up(request: httpx.Request) -> httpx.Response:
    if request.url.path.startswith("/councils/districts/"):
        code = request.url.path.rsplit("/", 1)[-1]
        if code == UNREGISTERED:
            return httpx.Response(404, json={"code": "district-not-found"})
        return httpx.Response(200, json={"code": code, "name_ko": "자치구"})
    organization_id = int(request.url.path.rsplit("/", 1)[-1])
    if organization_id not in ORGANIZATIONS:
        return httpx.Response(404, json={"code": "organization-not-found"})
    return httpx.Response(200, json={"id": organization_id, "district_code": ORGANIZATIONS[organization_id]})


def councils_down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


class Councils:
    def __init__(self, harness: ServiceHarness) -> None:
        self.state = harness.app.state

    def answer(self, handler: httpx.MockTransport) -> None:
        policy = CallPolicy(retries=0, breaker_failures=1000)
        client = ServiceClient(
            callee="councils", base_url="http://councils", policy=policy, transport=handler
        )
        self.state.councils = CouncilsReferences(client)


@pytest.fixture
def councils(budget_harness: ServiceHarness) -> Iterator[Councils]:
    councils = Councils(budget_harness)
    councils.answer(httpx.MockTransport(councils_up))
    yield councils
    del budget_harness.app.state.councils


@pytest.fixture
async def api(pinned: Clock, budget: httpx.AsyncClient, auth: Auth) -> Budget:
    api = Budget(budget, auth)
    await set_policy(api, 2017, "civic_platform", platform_policy(2017))
    await assign(api, "separate")
    return api


def platform(**fields: object) -> dict[str, object]:
    body = application("civic_platform", amount_krw=50_000_000, district_share_krw=0, **fields)
    return {**body, "title_ko": TITLE}


async def grants(api: Budget) -> list[int | None]:
    page = (await api.client.get("/budget/grants", params={"limit": 200}, headers=api.city)).json()
    return [item["organization_id"] for item in page["items"] if item["title_ko"] == TITLE]


async def test_a_grant_names_a_registered_organisation_of_its_district(
    api: Budget, councils: Councils
) -> None:
    other = await apply(api, platform(organization_id=8))
    assert assert_problem(other, 422, "body.district_code")["code"] == "organization-outside-district"
    city_level = await apply(api, platform(organization_id=9))
    assert "none (city-level)" in assert_problem(city_level, 422, "body.district_code")["detail"]
    unknown = await apply(api, platform(organization_id=10))
    assert assert_problem(unknown, 422, "body.organization_id")["code"] == "unknown-organization"
    assert_problem(await apply(api, platform(organization_id=0)), 422, "body.organization_id")
    assert await grants(api) == []
    granted = await apply(api, platform(organization_id=7))
    assert granted.status_code == 201, granted.text
    assert granted.json()["organization_id"] == 7
    assert await grants(api) == [7]


async def test_a_grant_without_an_organisation_has_its_district_checked(
    api: Budget, councils: Councils
) -> None:
    asked: list[str] = []

    def recording(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return councils_up(request)

    councils.answer(httpx.MockTransport(recording))
    granted = await apply(api, platform())
    assert granted.status_code == 201, granted.text
    assert granted.json()["organization_id"] is None
    assert asked == [f"/councils/districts/{DISTRICT}"]
    await assign(api, "separate", district=UNREGISTERED)
    unknown = await apply(api, platform(district_code=UNREGISTERED), api.city)
    assert assert_problem(unknown, 422, "body.district_code")["code"] == "unregistered-district"
    assert await grants(api) == [None]


async def test_councils_down_refuses_a_grant_without_an_organisation_too(
    api: Budget, councils: Councils
) -> None:
    councils.answer(httpx.MockTransport(councils_down))
    refused = await apply(api, platform())
    assert assert_problem(refused, 503)["code"] == "councils-unavailable"
    assert int(refused.headers["Retry-After"]) >= 1
    assert await grants(api) == []
    councils.answer(httpx.MockTransport(councils_up))
    assert (await apply(api, platform())).status_code == 201


async def test_councils_down_is_a_503_with_retry_after_and_nothing_stored(
    api: Budget, councils: Councils
) -> None:
    councils.answer(httpx.MockTransport(councils_down))
    refused = await apply(api, platform(organization_id=7))
    assert assert_problem(refused, 503)["code"] == "councils-unavailable"
    assert int(refused.headers["Retry-After"]) >= 1
    failing = httpx.MockTransport(lambda request: httpx.Response(500, json={}))
    councils.answer(failing)
    assert_problem(await apply(api, platform(organization_id=7)), 503)
    assert await grants(api) == []
    councils.answer(httpx.MockTransport(councils_up))
    assert (await apply(api, platform(organization_id=7))).status_code == 201
