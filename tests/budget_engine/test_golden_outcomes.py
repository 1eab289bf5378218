"""Each real election's META rule must reproduce the projects the city actually funded."""

import pytest

from services.budget.outcomes import (
    build_instance,
    compute_outcome,
    outcome_for_instance,
    rule_from_meta,
)
from services.budget.outcomes.equal_shares import equal_shares
from services.budget.pabulib import PbInstance, parse_pb_file
from tests.conftest import SHARED_DIR, require_shared

PABULIB = SHARED_DIR / "data" / "pabulib"

EXPECTED_RULES = {
    "Netherlands_Assen_2024": ("mes-add1", {}),
    "Poland_Czestochowa_2024": ("greedy", {}),
    "Poland_Lodz_2022": ("greedy-threshold", {"threshold": 100}),
    "Poland_Swiecie_2023": ("mes-add1", {}),
    "Poland_Warszawa_2019_Brodno": ("greedy", {}),
    "Poland_Warszawa_2020_Ursynow": ("greedy", {}),
    "Poland_Warszawa_2026": ("greedy-threshold", {"threshold": 3000}),
    "Poland_Wieliczka_2023_Green_Budget": ("mes-add1-comparison", {}),
}


def _load(stem: str) -> PbInstance:
    return parse_pb_file(require_shared(PABULIB / f"{stem}.pb"))


def _funded(instance: PbInstance) -> set[str]:
    return {p.id for p in instance.projects.values() if p.fields.get("selected") == "1"}


@pytest.mark.parametrize("stem", sorted(EXPECTED_RULES))
def test_meta_rule_reproduces_selected_column(stem: str) -> None:
    instance = _load(stem)
    assert rule_from_meta(instance.meta) == EXPECTED_RULES[stem]
    outcome = outcome_for_instance(instance)
    assert set(outcome.selected) == _funded(instance)
    assert len(outcome.selected) == len(set(outcome.selected))
    assert outcome.total_cost == sum(instance.projects[p].cost for p in outcome.selected)
    assert outcome.total_cost <= instance.budget
    assert set(outcome.explanations) == set(instance.projects)


def test_brodno_tie_at_217_votes_goes_to_the_cheaper_project() -> None:
    instance = _load("Poland_Warszawa_2019_Brodno")
    outcome = outcome_for_instance(instance)
    assert outcome.tie_break == ("score_desc", "cost_asc", "file_order")
    assert "2162" in outcome.selected and "2091" not in outcome.selected
    assert outcome.explanations["2091"].startswith("skipped: cost 35,000 exceeds remaining")
    # Breaking the tie the other way (as pabutools' default by-name order does) funds 2091.
    other = compute_outcome(build_instance(instance), "greedy", tie_break=("score_desc", "cost_desc"))
    assert "2091" in other.selected and "2162" not in other.selected


def test_lodz_threshold_excludes_low_scores() -> None:
    instance = _load("Poland_Lodz_2022")
    outcome = outcome_for_instance(instance)
    below = [p for p, text in outcome.explanations.items() if text.startswith("below threshold")]
    assert below
    assert all(int(instance.projects[p].fields["votes"] or 0) < 100 for p in below)


def test_wieliczka_comparison_keeps_equal_shares() -> None:
    outcome = outcome_for_instance(_load("Poland_Wieliczka_2023_Green_Budget"))
    assert outcome.params["chosen"] == "mes"
    assert outcome.total_cost == 995079
    prefer_mes = outcome.params["prefer_mes"]
    prefer_greedy = outcome.params["prefer_greedy"]
    assert isinstance(prefer_mes, int) and isinstance(prefer_greedy, int)
    assert prefer_mes > prefer_greedy


@pytest.mark.parametrize("stem", ["Netherlands_Assen_2024", "Poland_Swiecie_2023"])
@pytest.mark.parametrize("exhaustive_stop", [False, True])
def test_accelerated_add1_equals_step_by_step_scan(stem: str, exhaustive_stop: bool) -> None:
    election = build_instance(_load(stem))
    params = {"exhaustive_stop": exhaustive_stop}
    fast = compute_outcome(election, "mes-add1", params)
    slow = equal_shares(election, exhaustive_stop=exhaustive_stop, accelerate=False)
    assert fast.selected == slow.selected
    assert fast.params["per_voter_budget"] == slow.params["per_voter_budget"]
    assert fast.explanations == slow.explanations
