"""The district overview through real processes: every part present, a part named under `missing` when its
service is down or slow, and conditional requests (ETag, If-None-Match → 304). No timing is asserted."""

import signal
from collections.abc import Callable, Iterator

import httpx
import pytest

from ops.processes import stop_processes
from tests.e2e.conftest import System, free_port, serve, wait_answering, wait_ready

pytestmark = pytest.mark.e2e

PARTS = (
    "bodies",
    "composition",
    "platforms",
    "money",
    "evaluation",
)  # governance_status: None, no record yet


def test_every_part_is_there_and_a_304_answers_a_current_etag(
    gateway: httpx.Client, auth: Callable[..., dict[str, str]]
) -> None:
    first = gateway.get("/overview/districts/11545?fiscal_year=2017")
    assert first.status_code == 200, first.text
    overview = first.json()
    assert overview["missing"] == []
    assert all(overview[part] is not None for part in PARTS)
    assert overview["money"]["fiscal_year"] == 2017 and overview["money"]["pending_amendments"]["count"] == 0
    assert overview["evaluation"] == []  # nothing published for the district
    etag = first.headers["etag"]
    again = gateway.get("/overview/districts/11545?fiscal_year=2017", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    stale = gateway.get("/overview/districts/11545?fiscal_year=2017", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.headers["etag"] == etag

    # A part changes (a new body of the district, written through the gateway): a new ETag; the old one, 200.
    body = {
        "classification": "district_council",
        "name_ko": "금천구 민관협치회의 (개요 시험)",
        "district_code": "11545",
    }
    created = gateway.post("/councils/bodies", json=body, headers=auth("city_officer"))
    assert created.status_code == 201, created.text
    changed = gateway.get("/overview/districts/11545?fiscal_year=2017", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert created.json()["id"] in [b["body_id"] for b in changed.json()["composition"]]
    assert created.json()["id"] in [b["id"] for b in changed.json()["bodies"]]


def test_the_overview_names_the_evaluation_part_when_evaluation_is_down(system: System) -> None:
    process = system.processes["evaluation"]
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    try:
        # A query no other test asks for: a complete answer cached a moment ago would be served instead.
        response = httpx.get(f"{system.gateway}/overview/districts/11620?fiscal_year=2031", timeout=10)
        assert response.status_code == 200, response.text
        overview = response.json()
        assert [(m["part"], m["service"]) for m in overview["missing"]] == [("evaluation", "evaluation")]
        assert overview["evaluation"] is None
        assert overview["money"] is not None and overview["composition"] is not None
    finally:
        system.start("evaluation")
        wait_ready(system)
    recovered = httpx.get(f"{system.gateway}/overview/districts/11620?fiscal_year=2031", timeout=10)
    assert recovered.json()["missing"] == []  # an answer with a missing part was not cached


@pytest.fixture
def gateway_with_slow_budget(system: System, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second gateway whose budget answers come through tests/e2e/delay_proxy.py, held past its deadline."""
    log = tmp_path_factory.mktemp("slow-budget") / "log.txt"
    proxy_port, gateway_port = free_port(), free_port()
    env = {
        **system.env,
        "DELAY_UPSTREAM": system.url("budget"),
        "DELAY_SECONDS": "5",
        "GATEWAY_BUDGET_URL": f"http://127.0.0.1:{proxy_port}",
        "GATEWAY_COMPOSITION_DEADLINE": "1",
    }
    proxy = serve(["tests.e2e.delay_proxy:app", "--port", str(proxy_port)], env, log)
    gateway = serve(["--factory", "gateway.main:create_app", "--port", str(gateway_port)], env, log)
    try:
        wait_answering(f"http://127.0.0.1:{proxy_port}/livez", proxy)
        wait_answering(f"http://127.0.0.1:{gateway_port}/livez", gateway)
        yield f"http://127.0.0.1:{gateway_port}"
    finally:
        stop_processes(gateway, proxy)  # the proxy may be killed: it can still hold a delayed answer


def test_the_overview_names_the_budget_parts_when_budget_is_slow(gateway_with_slow_budget: str) -> None:
    response = httpx.get(f"{gateway_with_slow_budget}/overview/districts/11620?cycle_id=1", timeout=30)
    assert response.status_code == 200, response.text
    overview = response.json()
    missing = {m["part"]: m for m in overview["missing"]}
    assert set(missing) == {"money", "envelopes", "proposals"}
    assert all(m["service"] == "budget" and "within 1s" in m["reason"] for m in missing.values())
    assert overview["money"] is None and overview["budget"] == {
        "cycle_id": 1,
        "envelopes": None,
        "proposals": None,
    }
    assert overview["district"]["code"] == "11620" and overview["composition"] is not None
