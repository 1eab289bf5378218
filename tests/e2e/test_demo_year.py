"""`make demo-year` against real processes: one year played through the gateway, relay on, then played again.

Councils, budget, evaluation (its outbox relay on) and the gateway run on a database of their own: the
evaluation demo's targets must name grants, so they cannot be those another test made without.
"""

from collections.abc import Iterator

import httpx
import pytest

from ops import demo_pb
from ops.demo_year import expected_amount, play
from shared.auth import Role, mint_token
from shared.settings import CommonSettings
from tests.conftest import SHARED_DIR, Database, require_shared
from tests.e2e.test_confirm_to_grant import City, running_city

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def city(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    relay = {"EVALUATION_RELAY_POLL_SECONDS": "0.2"}
    with running_city(database, "seoul_year", tmp_path_factory.mktemp("year-logs"), relay) as city:
        yield city


def test_one_year_prices_every_next_year_grant_by_its_delivered_result_and_replays_as_is(city: City) -> None:
    require_shared(SHARED_DIR / "data" / "seoul_2017" / "civic_platforms.csv")
    decisions = play(city.gateway, SHARED_DIR, timeout=180)

    assert len(decisions) == 9
    assert all(d.amount_krw == d.expected_krw for d in decisions)
    assert expected_amount(80_000_000, "increase") == 88_000_000
    assert expected_amount(80_000_000, "reduce") == 64_000_000
    assert expected_amount(80_000_000, "stop") is None
    delivered = city.sql("budget", "SELECT grant_id, category FROM budget.evaluation_results")
    assert sorted(r["grant_id"] for r in delivered) == sorted(d.grant_id for d in decisions)
    assert {r["grant_id"]: r["category"] for r in delivered} == {d.grant_id: d.category for d in decisions}
    events = city.sql("evaluation", "SELECT status FROM evaluation.outbox_events")
    assert [e["status"] for e in events] == ["delivered"] * 9

    token = mint_token(CommonSettings(), subject="e2e-year", role=Role.city_officer)
    with httpx.Client(base_url=city.gateway, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        grants = api.get("/budget/grants", params={"district_code": demo_pb.DISTRICT, "limit": 50}).json()
        first = next(g for g in grants["items"] if g["fiscal_year"] == 2017 and g["kind"] == "civic_platform")
        assert (first["city_share_krw"], first["district_share_krw"]) == (56_000_000, 24_000_000)
        listed = api.get("/budget/projects", params={"district_code": demo_pb.DISTRICT, "limit": 50}).json()
        (summary,) = [p for p in listed["items"] if p["title_ko"] == "청년 공론장 운영"]
        project = api.get(f"/budget/projects/{summary['id']}").json()
        small, large = api.get(f"/budget/projects/{project['id']}/amendments").json()
        assert (small["route"], small["status"], large["route"], large["status"]) == (
            "council",
            "council_approved",
            "city",
            "approved",
        )
        decision = api.get(f"/councils/decisions/{small['council_decision_id']}").json()
        assert (decision["district_code"], decision["result"]) == (demo_pb.DISTRICT, "pass")
        assert (decision["body_classification"], decision["body_name_ko"]) == (
            "district_council",
            demo_pb.COUNCIL_NAME,
        )
        assert project["budget_krw"] == large["budget_after_krw"] > 28_000_000 * 110 // 100

    again = play(city.gateway, SHARED_DIR, timeout=60)
    assert [(d.grant_id, d.amount_krw) for d in again] == [(d.grant_id, d.amount_krw) for d in decisions]
    assert len(city.sql("budget", "SELECT id FROM budget.evaluation_results")) == 9
