import os
import random
from fractions import Fraction

import pytest

from services.budget.outcomes import (
    Instance,
    OutcomeError,
    build_instance,
    compute_outcome,
    make_instance,
    rule_from_meta,
)
from services.budget.outcomes.equal_shares import equal_shares
from services.budget.pabulib import parse_pb_text

# Raise (e.g. MES_RANDOM_SEEDS=2000) to search harder for a counterexample to the Add1 shortcut.
RANDOM_SEEDS = int(os.environ.get("MES_RANDOM_SEEDS", "40"))


def _approval(costs: dict[str, int], budget: int, ballots: list[list[str]]) -> Instance:
    return make_instance(costs, budget, ballots)


def _votes(counts: dict[str, int]) -> list[list[str]]:
    """Single-project ballots giving each project the requested number of votes."""
    return [[project] for project, count in counts.items() for _ in range(count)]


def test_project_costing_exactly_the_remaining_budget_is_selected() -> None:
    election = _approval({"a": 60, "b": 40, "c": 1}, 100, _votes({"a": 3, "b": 2, "c": 1}))
    outcome = compute_outcome(election, "greedy")
    assert outcome.selected == ["a", "b"]
    assert outcome.total_cost == 100
    assert outcome.explanations["b"] == "selected in round 2 with 2 votes; cost 40, 0 left"
    assert outcome.explanations["c"] == "skipped: cost 1 exceeds remaining 0"


def test_project_one_over_is_skipped_and_greedy_continues() -> None:
    election = _approval({"a": 60, "b": 41, "c": 40}, 100, _votes({"a": 3, "b": 2, "c": 1}))
    outcome = compute_outcome(election, "greedy")
    assert outcome.selected == ["a", "c"]
    assert outcome.explanations["b"] == "skipped: cost 41 exceeds remaining 40"


def test_greedy_no_skip_stops_at_the_first_misfit() -> None:
    election = _approval({"a": 60, "b": 41, "c": 40}, 100, _votes({"a": 3, "b": 2, "c": 1}))
    outcome = compute_outcome(election, "greedy-no-skip")
    assert outcome.selected == ["a"]
    assert outcome.explanations["b"].startswith("stopped here: cost 41 exceeds remaining 40")
    assert outcome.explanations["c"] == "not considered: selection stopped at project b"


@pytest.mark.parametrize(
    ("threshold", "selected"), [(2, ["a", "b"]), (3, ["a"]), (1, ["a", "b", "c"]), (4, [])]
)
def test_threshold_at_below_and_above(threshold: int, selected: list[str]) -> None:
    election = _approval({"a": 10, "b": 10, "c": 10}, 100, _votes({"a": 3, "b": 2, "c": 1}))
    outcome = compute_outcome(election, "greedy-threshold", {"threshold": threshold})
    assert outcome.selected == selected
    assert outcome.params == {"threshold": threshold}
    if threshold == 3:
        assert outcome.explanations["b"] == "below threshold: 2 votes < 3"


def test_threshold_from_meta() -> None:
    meta = {"rule": "greedy-threshold", "min_project_score_threshold": "100"}
    assert rule_from_meta(meta) == ("greedy-threshold", {"threshold": 100})
    with pytest.raises(OutcomeError):
        rule_from_meta({"rule": "greedy-threshold"})
    with pytest.raises(OutcomeError):
        rule_from_meta({"rule": "unknown"})


def test_ties_prefer_cheaper_then_file_order_and_are_recorded() -> None:
    costs = {"x": 50, "y": 30, "z": 30}
    election = _approval(costs, 60, _votes({"x": 2, "y": 2, "z": 2}))
    outcome = compute_outcome(election, "greedy")
    assert outcome.tie_break == ("score_desc", "cost_asc", "file_order")
    assert outcome.selected == ["y", "z"]
    by_file = compute_outcome(election, "greedy", tie_break=["score_desc", "file_order"])
    assert by_file.tie_break == ("score_desc", "file_order")
    assert by_file.selected == ["x"]
    with pytest.raises(OutcomeError):
        compute_outcome(election, "greedy", tie_break=["coin_flip"])


def test_cumulative_greedy_uses_points() -> None:
    election = make_instance({"p": 60, "q": 60}, 100, [{"p": 1, "q": 9}, {"p": 5, "q": 0}, {"p": 3}])
    outcome = compute_outcome(election, "greedy")
    assert election.scores == (9, 9) and election.votes == (3, 1)
    assert outcome.selected == ["p"]  # tied on 9 points and cost: file order decides
    assert outcome.explanations["p"].startswith("selected in round 1 with 9 points")


def test_mes_splits_cost_among_supporters() -> None:
    # Budget 300 over 3 voters: 100 each. a is paid by v1+v2, b by v3; c is then unaffordable.
    election = _approval({"a": 200, "b": 100, "c": 150}, 300, [["a"], ["a"], ["b", "c"]])
    outcome = equal_shares(election, add1=False)
    assert outcome.selected == ["a", "b"]
    assert outcome.explanations["a"].startswith("selected in MES round 1: 2.00 effective votes of 2")
    assert outcome.explanations["c"].startswith("MES: not affordable by its supporters' remaining budgets")


def test_mes_add1_raises_the_per_voter_budget_until_b_fits() -> None:
    # 330 over 3 voters is 110 each: a is paid by its two supporters but b's single supporter
    # lacks 10. Add1 adds 1 per voter until b is affordable at 120; the outcome then never
    # changes again, so the search stops there without overspending.
    election = _approval({"a": 200, "b": 120, "c": 90}, 330, [["a"], ["a"], ["b"]])
    assert equal_shares(election, add1=False).selected == ["a"]
    completed = compute_outcome(election, "mes-add1")
    assert completed.selected == ["a", "b"]
    assert completed.params["per_voter_budget"] == 120
    assert completed.explanations["c"] == "MES: no supporters"


def test_mes_add1_keeps_the_last_outcome_that_fits() -> None:
    # Same ballots with a budget of 300: at 120 each {a, b} would cost 320, so Add1 stops at 119.
    election = _approval({"a": 200, "b": 120, "c": 90}, 300, [["a"], ["a"], ["b"]])
    completed = compute_outcome(election, "mes-add1")
    assert completed.selected == ["a"]
    assert completed.params["per_voter_budget"] == 119


def test_mes_cumulative_prices_per_point() -> None:
    election = make_instance({"p": 60, "q": 60, "r": 30}, 90, [{"p": 8, "q": 2}, {"p": 7, "r": 3}, {"q": 10}])
    outcome = equal_shares(election, add1=False)
    assert outcome.selected[0] == "p"
    assert outcome.total_cost <= 90


def test_mes_tie_prefers_cheaper_project() -> None:
    # a and b each have two supporters and equal effective vote counts: the cheaper b goes first.
    election = _approval({"a": 40, "b": 30}, 80, [["a", "b"], ["a", "b"]])
    outcome = equal_shares(election, add1=False)
    assert outcome.selected == ["b", "a"]
    reversed_order = equal_shares(election, add1=False, tie_break=["cost_desc"])
    assert reversed_order.selected == ["a", "b"]


def test_comparison_step_can_choose_greedy() -> None:
    # One big project everybody likes versus many small ones liked by a single voter each.
    ballots = [["big", "s1"], ["big"], ["big"], ["big", "s2"]]
    election = _approval({"big": 100, "s1": 50, "s2": 50}, 100, ballots)
    mes = compute_outcome(election, "mes-add1")
    compared = compute_outcome(election, "mes-add1-comparison")
    assert compared.params["chosen"] in {"mes", "greedy"}
    if set(mes.selected) != {"big"}:
        assert compared.params["chosen"] == "greedy"
        assert compared.selected == ["big"]


def test_rule_dispatch_errors() -> None:
    election = _approval({"a": 1}, 1, [["a"]])
    with pytest.raises(OutcomeError, match="unknown rule"):
        compute_outcome(election, "borda")
    with pytest.raises(OutcomeError, match="threshold"):
        compute_outcome(election, "greedy-threshold")
    with pytest.raises(OutcomeError, match="no parameters"):
        compute_outcome(election, "greedy", {"threshold": 1})
    with pytest.raises(OutcomeError, match="unknown MES parameter"):
        compute_outcome(election, "mes-add1", {"speed": "max"})


def test_ordinal_ballots_parse_but_are_not_decided() -> None:
    text = (
        "META\nkey;value\nbudget;10\nvote_type;ordinal\n"
        "PROJECTS\nproject_id;cost\na;5\nVOTES\nvoter_id;vote\n1;a\n"
    )
    instance = parse_pb_text(text)
    assert instance.votes[0].vote == ("a",)
    with pytest.raises(OutcomeError, match="ordinal"):
        build_instance(instance)


def _random_election(rng: random.Random, points: bool) -> Instance:
    projects = {f"p{i}": rng.choice([10, 20, 25, 30, 40, 55, 70, 90]) for i in range(rng.randint(3, 12))}
    ids = list(projects)
    ballots: list[list[str] | dict[str, Fraction | int]] = []
    for _ in range(rng.randint(2, 60)):
        chosen = rng.sample(ids, rng.randint(1, min(4, len(ids))))
        ballots.append({p: rng.randint(1, 5) for p in chosen} if points else chosen)
    budget = rng.randint(max(projects.values()), sum(projects.values()))
    return make_instance(projects, budget, ballots)


@pytest.mark.parametrize("seed", range(RANDOM_SEEDS))
def test_accelerated_add1_matches_step_by_step_on_random_instances(seed: int) -> None:
    rng = random.Random(seed)
    election = _random_election(rng, points=seed % 3 == 0)
    for exhaustive_stop in (False, True):
        fast = equal_shares(election, exhaustive_stop=exhaustive_stop)
        slow = equal_shares(election, exhaustive_stop=exhaustive_stop, accelerate=False)
        assert fast.selected == slow.selected
        assert fast.params["per_voter_budget"] == slow.params["per_voter_budget"]
        assert fast.total_cost <= election.budget
