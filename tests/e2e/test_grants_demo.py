"""`make demo`'s money part against real processes: the 2017 programme budget through the gateway."""

import csv

import httpx
import pytest

from ops.demo_grants import load_programme
from shared.auth import Role, mint_token
from shared.settings import CommonSettings
from tests.conftest import SHARED_DIR, require_shared
from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e


def test_the_2017_programme_budget_loads_and_reproduces_its_total_and_subtotals(system: System) -> None:
    path = require_shared(SHARED_DIR / "data" / "seoul_2017" / "programme_budget_2017.csv")
    token = mint_token(CommonSettings(), subject="ops-demo", role=Role.city_officer)
    with httpx.Client(
        base_url=system.gateway, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        load_programme(client, SHARED_DIR)
        load_programme(client, SHARED_DIR)  # again: nothing new, the same figures
        tree = httpx.get(f"{system.gateway}/budget/programme/2017", timeout=30).json()  # anonymous
        assert tree["total_krw"] == 4_611_935 * 1000
        with path.open(encoding="utf-8-sig", newline="") as handle:
            expected = {row["id"]: int(row["amount_thousand_krw"]) * 1000 for row in csv.DictReader(handle)}
        assert {node["code"]: node["amount_krw"] for node in tree["nodes"]} == expected
        policy = client.get("/budget/grant-policies/2017/innovation_plan").json()
        assert policy["planning_max_krw"] == 100_000_000 and policy["plan_total_krw"] == 300_000_000
        summaries = httpx.get(f"{system.gateway}/budget/summaries/2017", timeout=30).json()
        assert len(summaries) == 25
