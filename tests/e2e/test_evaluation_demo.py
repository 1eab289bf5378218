"""`make demo`'s evaluation step against real processes: the 2017 platforms' evaluation (gateway)."""

import httpx
import pytest

from ops.demo import load
from ops.demo_evaluation import APPEALING_DISTRICT, TIED_DISTRICT, load_evaluation, render
from shared.auth import Role, mint_token
from shared.settings import CommonSettings
from tests.conftest import SHARED_DIR, require_shared
from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e


def test_demo_loads_the_2017_evaluation_to_published_results_once(system: System) -> None:
    require_shared(SHARED_DIR / "data" / "seoul_2017" / "civic_platforms.csv")
    token = mint_token(CommonSettings(), subject="ops-demo", role=Role.city_officer)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=system.gateway, headers=headers, timeout=30) as client:
        load(client, SHARED_DIR)  # the councils part: the consortia the targets name

    demo, comparison, published = load_evaluation(system.gateway, SHARED_DIR)

    assert len(demo.targets) == 9
    assert sorted(t.round for t in demo.targets).count(1) == 3  # seed 004: 은평, 강북, 동대문 in round 1
    assert demo.created > 0
    assert all(r["status"] == "published" and r["category"] for r in published)
    assert all(r["category_source"] == "bands" for r in published)
    appealed = [r for r in published if r["review_version"] == 2]
    assert [r["target_id"] for r in appealed] == [
        t.id for t in demo.targets if t.district_code == APPEALING_DISTRICT
    ]
    tied = next(t for t in demo.targets if t.district_code == TIED_DISTRICT)
    with httpx.Client(base_url=system.gateway, headers=headers, timeout=30) as client:
        recusals = client.get(f"/evaluation/targets/{tied.id}/recusals").json()["items"]
        assert [(r["ground"], r["status"]) for r in recusals] == [("exclusion", "upheld")]
        cycle_results = client.get(f"/evaluation/cycles/{demo.cycle_id}/results", params={"limit": 100})
        statuses = sorted(r["status"] for r in cycle_results.json()["items"])
        assert statuses.count("appealed") == 1 and statuses.count("published") == 9
        original = client.get(f"/evaluation/targets/{appealed[0]['target_id']}/result", params={"version": 1})
        assert original.json()["status"] == "appealed" and original.json()["appeal"]["re_review_opened_at"]
        window = client.get(f"/evaluation/cycles/{demo.cycle_id}/rounds/1/windows/appeal").json()
        assert window["original_ends_on"] == "2017-09-28" and window["extensions"][0]["reason"]
    anonymous = httpx.get(f"{system.gateway}/evaluation/targets/{tied.id}/result", timeout=30)
    assert anonymous.status_code == 200 and anonymous.json()["status"] == "published"

    assert set(comparison["totals"]) == {"self", "official", "expert"}
    assert all(comparison["totals"][kind]["n"] == 9 for kind in ("self", "official", "expert"))
    assert [r["round"] for r in comparison["reliability"]] == [1, 2]
    assert all(r["raters"] == 8 and r["alpha_interval"] is not None for r in comparison["reliability"])
    text = render(demo, comparison, published)
    print(text)
    assert "Krippendorff" in text and "제척" in text and "재심의" in text

    again, comparison_again, published_again = load_evaluation(system.gateway, SHARED_DIR)
    assert (again.cycle_id, again.created, again.extensions) == (demo.cycle_id, 0, 0)
    assert [r["total"] for r in published_again] == [r["total"] for r in published]
    assert comparison_again["totals"] == comparison["totals"]
