"""`make demo` against real processes: the 2017 records load through the gateway and come back exactly."""

import httpx
import pytest

from ops.demo import expected_table, load, read_csv, render
from shared.auth import Role, mint_token
from shared.settings import CommonSettings
from tests.conftest import SHARED_DIR, require_shared
from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e


def test_demo_loads_the_2017_records_and_reproduces_the_composition_table(system: System) -> None:
    require_shared(SHARED_DIR / "data" / "seoul_2017")
    token = mint_token(CommonSettings(), subject="ops-demo", role=Role.city_officer)
    with httpx.Client(
        base_url=system.gateway, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        table, created = load(client)
        assert created > 0
        assert table == expected_table(read_csv("innovation_plan_councils.csv"))
        assert "은평구" in render(table)
        again, created_again = load(client)
        assert (again, created_again) == (table, 0)
        status = client.get("/councils/districts/11320/status", params={"on": "2017-06-30"}).json()
        assert status["ordinance_status"] == "enacted" and status["ordinance_enacted_date"] == "2016-12-29"
        assert [b["kind"] for b in status["bodies"]] == ["tft", "district_council"]
        platform = client.get("/councils/platforms", params={"district": "11380"}).json()["items"][0]
        ecology = next(m for m in platform["members"] if m["organization"]["name_ko"] == "생태보전시민모임")
        assert [r["name_ko"] for r in ecology["representatives"]] == ["민성환", "한봉호"]
        assert [m["name_ko"] for m in platform["managers"]] == ["민성환"]
