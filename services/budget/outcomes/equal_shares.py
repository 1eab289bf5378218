"""The Method of Equal Shares (MES) with Add1 completion and the optional comparison step.

Definitions follow equalshares.net and pabutools: every voter starts with an equal share ``b``
of the budget; in each round the affordable project with the lowest price per unit of
utility (rho) is funded, its supporters paying ``min(budget, rho * utility)``. Utilities are
the project cost for approval ballots (so the rule maximises the "effective vote count") and
the points for cumulative ballots. Add1 re-runs MES with ``b`` increased by 1 currency unit
per voter and keeps the last outcome that fits the budget (optionally stopping earlier, at
the first exhaustive outcome, as pabutools does).

Speed comes from three facts. Identical ballots act identically, so they are merged. Voters
whose budgets are the same function of ``b`` are interchangeable, so a project's supporters
collapse into a few budget classes. And a run of MES at ``b`` is a sequence of comparisons between quantities
that are affine in ``b`` while the run's branch structure stays fixed: each run therefore also
computes the largest Add1 step up to which it provably gives the same outcome, and Add1 jumps
straight past all of those steps. Decisions are exact: each run is first made by the C kernel
(mes_kernel.py) in float64 with every decision certified against its rounding-error bound; a
run with a decision too close to call is made again in exact rational arithmetic (gmpy2,
mes_exact.py), which is also the reference that ``accelerate=False`` uses for every step.

At a city-wide vote no run proves a jump and every step is computed; the next steps then run in
threads (the kernel releases the GIL), consumed in order as a step-by-step scan would.

This module is Add1 and the entry point; the election's layout for the runs is mes_election.py,
the explanations and the comparison step mes_explain.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction

from gmpy2 import mpq

from services.budget.pabulib.parser import Amount

from .cpus import usable_cpus
from .heap import release_free_memory
from .instance import (
    MES_TIE_BREAK,
    Instance,
    Outcome,
    OutcomeError,
    normalise_tie_break,
    tie_break_rank,
)
from .mes_election import LOCALITY_FROM, MesElection, is_exhaustive, kernel_for, prepare, total_cost
from .mes_exact import ExactRun, Horizon, Trace
from .mes_explain import COMPARISONS, compare_with_greedy, explain
from .mes_kernel import KernelRun, MesKernel


def _final_run(prep: MesElection, kernel: MesKernel | None, b: mpq, trace: Trace) -> tuple[list[int], bool]:
    """The outcome at per-voter budget ``b``, recording what happened for the explanations.

    Also says whether the run needed exact arithmetic.
    """
    run = kernel.run(float(b), float(b), 1.0, 0, track=False) if kernel is not None else None
    if run is None:
        selected = ExactRun(prep, b, None, trace).execute()
        _after_exact_run(prep)
        return selected, True
    trace.rounds.extend(zip(run.selected, run.prices, strict=True))
    before = len(prep.free)
    trace.dropped.update({c: (before + funded + 1, money) for c, (funded, money) in run.dropped.items()})
    return [*prep.free, *run.selected], False


@dataclass(slots=True)
class _Runs:
    """How Add1 got its answer: MES runs made, and how many of them needed exact arithmetic."""

    total: int = 0
    exact: int = 0


def _run_step(
    prep: MesElection, kernel_run: KernelRun | None, start: mpq, step: mpq, k: int, runs: _Runs
) -> tuple[list[int], int | None]:
    """MES at Add1 step ``k``: the outcome and the last step that provably gives the same one.

    ``kernel_run`` is the kernel's run at that step, or None when the kernel is absent or could not
    certify it: the step is then made in exact arithmetic.
    """
    runs.total += 1
    if kernel_run is not None:
        return [*prep.free, *kernel_run.selected], kernel_run.k_max
    runs.exact += 1
    horizon = Horizon(start, step, k)
    selected = ExactRun(prep, start + k * step, horizon, None).execute()
    _after_exact_run(prep)
    return selected, horizon.k_max


RELEASE_FROM = LOCALITY_FROM
"""Distinct ballots from which the memory of an exact run is handed back to the system after it: below,
a run holds a few MB at most, and exact runs are many (every step without the kernel)."""


def _after_exact_run(prep: MesElection) -> None:
    if len(prep.weights) >= RELEASE_FROM:
        release_free_memory()


def _kernel_step(kernel: MesKernel | None, start: mpq, step: mpq, k: int) -> KernelRun | None:
    if kernel is None:
        return None
    return kernel.run(float(start + k * step), float(start), float(step), k, track=True)


PARALLEL_FROM = LOCALITY_FROM
"""Distinct ballots from which Add1 computes the next steps in parallel threads: below, a run takes
milliseconds and usually proves a jump over many steps, so threads would cost more than they save."""
WORKERS = min(usable_cpus(), 4)
"""Add1 steps computed at once (each in its own kernel workspace: 29 MB of budgets at 731,674 ballots)."""


class _Steps:
    """The kernel's runs of Add1 steps, computed ahead in threads while no step proves a jump.

    At a city-wide vote every step must be computed (no run proves that the next gives the same outcome)
    and each takes a fraction of a second in C, which releases the GIL: the next ``WORKERS`` steps are
    run at once. Which steps are used, and so the outcome, is exactly that of a step-by-step scan.
    """

    def __init__(self, kernel: MesKernel | None, start: mpq, step: mpq, workers: int) -> None:
        self.kernel, self.start, self.step = kernel, start, step
        self.pool = ThreadPoolExecutor(workers) if kernel is not None and workers > 1 else None
        self.workers = workers
        self.ahead: dict[int, Future[KernelRun | None]] = {}

    def run(self, k: int, jumped: bool) -> KernelRun | None:
        if self.pool is None:
            return _kernel_step(self.kernel, self.start, self.step, k)
        for j in [j for j in self.ahead if j < k]:
            self.ahead.pop(j).cancel()
        # After a proven jump the next one is likely too: only this step; otherwise the next ones as well.
        for j in range(k, k + (1 if jumped else self.workers)):
            if j not in self.ahead:
                self.ahead[j] = self.pool.submit(_kernel_step, self.kernel, self.start, self.step, j)
        return self.ahead.pop(k).result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _add1(
    prep: MesElection,
    start: mpq,
    step: mpq,
    exhaustive_stop: bool,
    kernel: MesKernel | None,
    accelerate: bool,
) -> tuple[list[int], mpq, _Runs]:
    """Run Add1; return the outcome, the per-voter budget that produced it, and the runs made.

    Without ``accelerate`` every step is computed; the horizon then only serves to stop once
    no later step can differ (a plain scan would never stop when nothing overspends).
    """
    parallel = accelerate and len(prep.weights) >= PARALLEL_FROM
    steps = _Steps(kernel, start, step, WORKERS if parallel else 1)
    try:
        return _scan(prep, start, step, exhaustive_stop, steps, accelerate)
    finally:
        steps.close()


def _scan(
    prep: MesElection, start: mpq, step: mpq, exhaustive_stop: bool, steps: _Steps, accelerate: bool
) -> tuple[list[int], mpq, _Runs]:
    k, runs, jumped = 0, _Runs(), True
    previous: list[int] | None = None
    while True:
        selected, k_max = _run_step(prep, steps.run(k, jumped), start, step, k, runs)
        if total_cost(prep, selected) > prep.budget:
            if previous is None:
                raise OutcomeError("MES overspends at the starting per-voter budget")
            # Report the last per-voter budget that still fitted, as a step-by-step scan would.
            return previous, start + (k - 1) * step, runs
        if exhaustive_stop and is_exhaustive(prep, selected):
            return selected, start + k * step, runs
        previous = selected
        if k_max is None:
            # Every branch is stable for all larger budgets: the outcome can never change.
            return selected, start + k * step, runs
        jumped = k_max > k
        k = k_max + 1 if accelerate else k + 1


def equal_shares(
    election: Instance,
    *,
    add1: bool = True,
    integral_start: bool = False,
    exhaustive_stop: bool = False,
    increment: Amount = 1,
    comparison: str | None = None,
    tie_break: Sequence[str] = MES_TIE_BREAK,
    accelerate: bool = True,
) -> Outcome:
    """MES, by default with Add1 completion as Pabulib's ``equalshares/add1``.

    Add1 raises the per-voter budget from ``budget / n`` in steps of ``increment`` and keeps
    the last outcome that fits the budget; this reproduces the real Assen, Świecie and
    Wieliczka results. ``exhaustive_stop=True`` also stops at the first exhaustive outcome,
    as pabutools' ``voter_budget_increment`` does; ``integral_start`` starts from
    ``floor(budget / n)`` (equalshares.net's "integral" option). ``comparison``
    ("satisfaction" or "exclusion") adds equalshares.net's comparison step with greedy.
    ``accelerate=False`` scans every Add1 step like the reference implementations (slow; for
    audits and tests): the result is identical.
    """
    recorded = normalise_tie_break(tie_break)
    prep = prepare(election, tie_break_rank(election, recorded), many_runs=add1 and accelerate)
    if election.n_voters == 0:
        raise OutcomeError("MES needs at least one voter")
    if comparison is not None and comparison not in COMPARISONS:
        raise OutcomeError(f"unknown comparison {comparison!r}; use one of {COMPARISONS}")
    start = prep.budget / election.n_voters
    if integral_start:
        start = mpq(math.floor(start))
    b = start
    kernel = kernel_for(prep) if accelerate else None
    runs = _Runs()
    trace = Trace()
    try:
        if add1:
            _, b, runs = _add1(prep, start, mpq(increment), exhaustive_stop, kernel, accelerate)
        selected, exact = _final_run(prep, kernel, b, trace)
    finally:
        if kernel is not None:
            kernel.close()
    if not add1:
        runs = _Runs(total=1, exact=int(exact))
    params: dict[str, object] = {
        "add1": add1,
        "per_voter_budget": Fraction(int(b.numerator), int(b.denominator)),
        "mes_runs": runs.total,
        "mes_exact_runs": runs.exact,
    }
    if add1:
        params.update(integral_start=integral_start, exhaustive_stop=exhaustive_stop, increment=increment)
    explanations = explain(election, prep, selected, trace)
    outcome = Outcome(
        rule="mes-add1" if add1 else "mes",
        params=params,
        tie_break=recorded,
        selected=[election.project_ids[c] for c in selected],
        total_cost=_as_amount(total_cost(prep, selected)),
        explanations=explanations,
    )
    if comparison is None:
        return outcome
    return compare_with_greedy(election, outcome, comparison)


def _as_amount(value: mpq) -> Amount:
    if value.denominator == 1:
        return int(value.numerator)
    return Fraction(int(value.numerator), int(value.denominator))
