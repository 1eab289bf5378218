"""The C kernel of MES: every certified run is the exact run, over its whole proven horizon."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from gmpy2 import mpq

from services.budget.outcomes import Instance, build_instance, make_instance, mes_election, mes_exact
from services.budget.outcomes import equal_shares as add1_module
from services.budget.outcomes.equal_shares import equal_shares
from services.budget.outcomes.instance import MES_TIE_BREAK, normalise_tie_break, tie_break_rank
from services.budget.outcomes.mes_kernel import load_kernel, tolerance
from services.budget.pabulib import parse_pb_file
from tests.conftest import SHARED_DIR, require_shared

SEEDS = 80
HORIZON_CHECKED = 25
"""How many steps of each proven horizon are recomputed exactly."""


def _prepared(election: Instance) -> mes_election.MesElection:
    return mes_election.prepare(election, tie_break_rank(election, normalise_tie_break(MES_TIE_BREAK)))


def _exact(prep: mes_election.MesElection, b: mpq) -> list[int]:
    return mes_exact.ExactRun(prep, b, None, None).execute()


def _random_election(rng: random.Random, points: bool) -> Instance:
    # Few distinct costs and small electorates: exact ties in price are frequent.
    projects = {f"p{i}": rng.choice([6, 10, 12, 20, 30, 45]) for i in range(rng.randint(2, 10))}
    ids = list(projects)
    ballots: list[list[str] | dict[str, Fraction | int]] = []
    for _ in range(rng.randint(1, 40)):
        chosen = rng.sample(ids, rng.randint(1, min(5, len(ids))))
        ballots.append({p: rng.randint(1, 4) for p in chosen} if points else chosen)
    budget = rng.randint(min(projects.values()), sum(projects.values()))
    return make_instance(projects, budget, ballots)


def test_kernel_is_built() -> None:
    assert load_kernel() is not None, (
        "pip install -e . should have compiled services/budget/outcomes/_mes_kernel.c"
    )


def test_tolerance_grows_with_the_longest_sum() -> None:
    assert tolerance(100) < tolerance(1000)
    # Even Łódź-sized sums (~40k supporters of one project) keep a fine margin.
    assert tolerance(40_000) < 1e-10


@pytest.mark.parametrize("seed", range(SEEDS))
def test_certified_runs_equal_exact_runs_over_their_horizon(seed: int) -> None:
    rng = random.Random(seed)
    election = _random_election(rng, points=seed % 3 == 0)
    prep = _prepared(election)
    kernel = mes_election.kernel_for(prep)
    assert kernel is not None
    start = prep.budget / election.n_voters
    k = 0
    for _ in range(12):
        b = start + k
        run = kernel.run(float(b), float(start), 1.0, k, track=True)
        exact = _exact(prep, b)
        if run is None:
            k += 1
            continue
        assert [*prep.free, *run.selected] == exact, f"step {k}"
        last = k + HORIZON_CHECKED if run.k_max is None else min(run.k_max, k + HORIZON_CHECKED)
        for step in range(k + 1, last + 1):
            assert _exact(prep, start + step) == exact, f"step {step} inside the horizon of step {k}"
        if run.k_max is None:
            break
        k = run.k_max + 1


def test_an_exact_tie_of_poor_prices_is_decided_exactly() -> None:
    # After z, voter 1 has 1 left: a and b then cost the same per vote (9 per 10) with voter 1
    # poor, a tie that float cannot tell from a near-tie. The kernel declines; exact decides a.
    election = make_instance({"z": 27, "a": 10, "b": 10}, 40, [["z", "a", "b"], ["a", "b"], ["z"], ["z"]])
    prep = _prepared(election)
    kernel = mes_election.kernel_for(prep)
    assert kernel is not None
    assert kernel.run(10.0, 10.0, 1.0, 0, track=True) is None
    for exhaustive_stop in (False, True):
        outcome = equal_shares(election, exhaustive_stop=exhaustive_stop)
        reference = equal_shares(election, exhaustive_stop=exhaustive_stop, accelerate=False)
        assert outcome.selected == reference.selected == ["z", "a"]
        assert outcome.params["per_voter_budget"] == reference.params["per_voter_budget"]
        assert outcome.params["mes_exact_runs"] >= 1


def test_equal_votes_are_decided_by_the_tie_break() -> None:
    # Round one prices per vote are exactly 1 / votes: equal votes tie, and the kernel settles
    # such ties exactly by the tie-break order (cheaper first).
    ballots = [["a", "b"], ["a", "b"], ["c"]]
    election = make_instance({"a": 30, "b": 20, "c": 10}, 30, ballots)
    assert equal_shares(election, add1=False).selected[0] == "b"
    assert equal_shares(election).selected == equal_shares(election, accelerate=False).selected


@pytest.mark.parametrize("stem", ["Netherlands_Assen_2024", "Poland_Warszawa_2019_Brodno"])
def test_real_elections_need_no_exact_runs(stem: str) -> None:
    # Both have projects with equal votes in round one; Assen's 84 voters tie often later too.
    election = build_instance(parse_pb_file(require_shared(SHARED_DIR / "data" / "pabulib" / f"{stem}.pb")))
    outcome = equal_shares(election, exhaustive_stop=True)
    assert outcome.params["mes_exact_runs"] == 0


def _weighted(weight: int, points: Fraction | int | None = None) -> Instance:
    """Two projects, one distinct ballot of multiplicity ``weight`` (approval, or points if given)."""
    utility = 1 if points is None else points
    return Instance(
        budget=10,
        vote_type="approval" if points is None else "cumulative",
        project_ids=("a", "b"),
        costs=(4, 6),
        votes=(weight, weight),
        scores=(weight * utility, weight * utility),
        ballots=((weight, ((0, utility), (1, utility))),),
        n_voters=weight,
    )


@pytest.mark.parametrize(("weight", "kernel"), [(2**53 - 1, True), (2**53, False), (2**53 + 1, False)])
def test_the_kernel_takes_vote_totals_below_two_to_the_53_only(weight: int, kernel: bool) -> None:
    # Above it float64 cannot hold every total exactly, and the error bounds assume it does.
    prep = _prepared(_weighted(weight))
    assert (mes_election.kernel_for(prep) is not None) is kernel
    assert equal_shares(_weighted(weight), add1=False).selected == ["a", "b"]


@pytest.mark.parametrize(("points", "kernel"), [(3, True), (Fraction(5, 2), False)])
def test_fractional_points_use_exact_arithmetic(points: Fraction | int, kernel: bool) -> None:
    prep = _prepared(_weighted(7, points))
    assert (mes_election.kernel_for(prep) is not None) is kernel


@pytest.mark.parametrize("seed", range(12))
def test_reordered_ballots_give_the_same_outcome(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # City-wide votes renumber their distinct ballots for locality (mes_election.LOCALITY_FROM);
    # forced here on small elections, the outcome and its Add1 budget must not move.
    election = _random_election(random.Random(1000 + seed), points=seed % 3 == 0)
    in_file_order = equal_shares(election)
    monkeypatch.setattr(mes_election, "LOCALITY_FROM", 0)
    reordered = equal_shares(election)
    assert reordered.selected == in_file_order.selected
    assert reordered.params["per_voter_budget"] == in_file_order.params["per_voter_budget"]
    assert reordered.selected == equal_shares(election, accelerate=False).selected


def test_reordered_ballots_give_the_same_outcome_on_a_real_election(monkeypatch: pytest.MonkeyPatch) -> None:
    path = require_shared(SHARED_DIR / "data" / "pabulib" / "Poland_Wieliczka_2023_Green_Budget.pb")
    election = build_instance(parse_pb_file(path))
    in_file_order = equal_shares(election)
    monkeypatch.setattr(mes_election, "LOCALITY_FROM", 0)
    reordered = equal_shares(election)
    assert reordered.selected == in_file_order.selected
    assert reordered.params == in_file_order.params


@pytest.mark.parametrize("seed", range(12))
def test_add1_steps_computed_in_threads_give_the_same_outcome(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # City-wide votes compute the next Add1 steps in threads (equal_shares.PARALLEL_FROM); forced here,
    # the outcome, its budget and the runs it reports are those of the step-by-step scan.
    election = _random_election(random.Random(2000 + seed), points=seed % 3 == 0)
    one_by_one = equal_shares(election, exhaustive_stop=seed % 2 == 0)
    monkeypatch.setattr(add1_module, "PARALLEL_FROM", 0)
    monkeypatch.setattr(add1_module, "WORKERS", 3)
    threaded = equal_shares(election, exhaustive_stop=seed % 2 == 0)
    assert threaded.selected == one_by_one.selected
    assert threaded.params == one_by_one.params
