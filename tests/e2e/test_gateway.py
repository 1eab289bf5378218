"""Through the gateway, against real service processes."""

import http.client
import signal
from collections.abc import Callable

import httpx
import pytest

from tests.conftest import assert_problem
from tests.e2e.conftest import APPS, System, wait_ready

pytestmark = pytest.mark.e2e


def test_districts_through_the_gateway(gateway: httpx.Client) -> None:
    response = gateway.get("/councils/districts")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 25
    assert "종로구" in response.content.decode("utf-8")
    assert response.headers["x-request-id"]


def test_every_process_is_ready(system: System) -> None:
    for name in APPS:
        assert httpx.get(f"{system.url(name)}/readyz").status_code == 200


def test_request_id_travels_to_the_service(gateway: httpx.Client) -> None:
    response = gateway.get("/councils/districts/11110", headers={"X-Request-ID": "trace-me-1"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "trace-me-1"


def test_bad_input_is_4xx_problem_json_never_500(
    gateway: httpx.Client, auth: Callable[..., dict[str, str]]
) -> None:
    assert_problem(gateway.get("/councils/districts/99999"), 404, field="path.code")
    assert_problem(gateway.get("/councils/districts/abc"), 422)
    assert_problem(gateway.get("/nowhere"), 404)
    malformed = gateway.post(
        "/budget/cycles",
        content=b"{not json",
        headers={**auth("city_officer"), "content-type": "application/json"},
    )
    assert_problem(malformed, 400)
    assert_problem(gateway.get("/councils/districts", headers={"Authorization": "Bearer forged"}), 401)
    assert_problem(gateway.get("/councils/districts", headers={"Authorization": "Basic abc"}), 401)
    assert_problem(gateway.post("/budget/cycles", json={"name_ko": "x", "fiscal_year": 2018}), 401)
    assert_problem(
        gateway.post("/budget/cycles", json={"name_ko": "x", "fiscal_year": 2018}, headers=auth("citizen")),
        403,
    )


def test_writes_pass_through_with_korean_intact(
    gateway: httpx.Client, auth: Callable[..., dict[str, str]]
) -> None:
    response = gateway.post(
        "/budget/cycles",
        json={"name_ko": "2019년 시민참여예산 (협치형)", "fiscal_year": 2019},
        headers=auth("city_officer"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["name_ko"] == "2019년 시민참여예산 (협치형)"


def test_merged_openapi_has_every_service_with_stable_operation_ids(gateway: httpx.Client) -> None:
    spec = gateway.get("/openapi.json").json()
    assert "x-missing-services" not in spec
    operation_ids = {
        op["operationId"] for item in spec["paths"].values() for op in item.values() if "operationId" in op
    }
    assert {
        "councils_list_districts",
        "councils_get_district",
        "budget_list_cycles",
        "evaluation_list_cycles",
    } <= (operation_ids)
    assert "/councils/districts/{code}" in spec["paths"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert gateway.get("/docs").status_code == 200


def test_a_stopped_upstream_is_a_503_problem_and_recovers(system: System) -> None:
    process = system.processes["evaluation"]
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    try:
        with httpx.Client(base_url=system.gateway) as client:
            body = assert_problem(client.get("/evaluation/cycles"), 503)
            assert body["code"] == "upstream-unavailable"
            assert client.get("/councils/districts").status_code == 200
    finally:
        system.start("evaluation")
        wait_ready(system)
    assert httpx.get(f"{system.gateway}/evaluation/cycles").status_code == 200


def test_district_overview_composes_the_services(
    gateway: httpx.Client, auth: Callable[..., dict[str, str]]
) -> None:
    cycle = gateway.post(
        "/budget/cycles",
        json={"name_ko": "2020년 시민참여예산", "fiscal_year": 2020},
        headers=auth("city_officer"),
    ).json()
    response = gateway.get(f"/overview/districts/11620?cycle_id={cycle['id']}")
    assert response.status_code == 200, response.text
    overview = response.json()
    assert overview["district"]["name_ko"] == "관악구"
    assert overview["missing"] == []
    assert isinstance(overview["bodies"], list) and isinstance(overview["platforms"], list)
    assert overview["budget"] == {"cycle_id": cycle["id"], "envelopes": [], "proposals": []}
    assert_problem(gateway.get("/overview/districts/99999"), 404, field="path.code")
    assert_problem(gateway.get("/overview/districts/abc"), 422, field="path.code")
    assert_problem(gateway.get("/overview/districts/11620", headers={"Authorization": "Bearer forged"}), 401)


def test_district_overview_names_a_missing_service(system: System) -> None:
    process = system.processes["budget"]
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    try:
        # A query no other test asks for: a complete answer cached a moment ago would be served instead.
        response = httpx.get(
            f"{system.gateway}/overview/districts/11620?cycle_id=1&fiscal_year=2030", timeout=10
        )
        assert response.status_code == 200, response.text
        overview = response.json()
        assert overview["district"]["code"] == "11620"
        assert {m["part"] for m in overview["missing"]} == {"money", "envelopes", "proposals"}
        assert all(m["service"] == "budget" for m in overview["missing"])
        assert overview["budget"] == {"cycle_id": 1, "envelopes": None, "proposals": None}
    finally:
        system.start("budget")
        wait_ready(system)


def test_a_callers_broken_read_never_breaks_the_next_callers_write(
    system: System, auth: Callable[..., dict[str, str]]
) -> None:
    """The reported sequence: a read carrying a 500-deep JSON body, then a write, five times over."""
    nested = "[" * 500 + "]" * 500
    for attempt in range(5):
        read = httpx.request(
            "GET",
            f"{system.gateway}/budget/funding-types",
            content=nested,
            headers={"content-type": "application/json"},
        )
        assert read.status_code < 500, read.text
        write = httpx.post(
            f"{system.gateway}/budget/cycles",
            json={"name_ko": f"격리 시험 {attempt}", "fiscal_year": 2040 + attempt},
            headers=auth("city_officer"),
        )
        assert write.status_code == 201, (attempt, write.text)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/budget/%2e%2e/metrics", 400),
        ("/budget/%2e%2e/openapi.json", 400),
        ("/councils/%2E%2E/readyz", 400),
        ("/budget/metrics", 404),
        ("/budget/openapi.json", 404),
        ("/evaluation/docs", 404),
        ("/councils/livez", 404),
    ],
)
def test_a_services_own_paths_are_not_reachable_through_the_gateway(
    system: System, path: str, status: int
) -> None:

    connection = http.client.HTTPConnection("127.0.0.1", system.ports["gateway"], timeout=10)
    try:
        connection.request("GET", path)  # as written: httpx would normalise the dot segments away
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == status, (path, body)
    assert response.getheader("content-type") == "application/problem+json"


def test_an_undeclared_method_is_405_not_401(gateway: httpx.Client, system: System) -> None:
    through_gateway = gateway.delete("/budget/cycles")
    assert_problem(through_gateway, 405)
    assert {"GET", "POST"} <= set(through_gateway.headers["allow"].split(", "))
    assert_problem(gateway.put("/councils/districts/11110", json={}), 405)
    # The service itself answers the same, for whoever reaches it directly.
    direct = httpx.delete(f"{system.url('budget')}/budget/cycles")
    assert_problem(direct, 405)
    assert "allow" in direct.headers  # Starlette names only the first matching route's methods (GET)
