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
run with a decision too close to call is made again here in exact rational arithmetic (gmpy2),
which is also the reference that ``accelerate=False`` uses for every step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from gmpy2 import mpq

from services.budget.pabulib.parser import Amount

from .greedy import greedy
from .instance import (
    GREEDY_TIE_BREAK,
    MES_TIE_BREAK,
    Instance,
    Outcome,
    OutcomeError,
    format_amount,
    normalise_tie_break,
    tie_break_rank,
)
from .mes_kernel import MesKernel, load_kernel

ZERO = mpq(0)
ONE = mpq(1)
COMPARISONS = ("satisfaction", "exclusion")


@dataclass(slots=True)
class _Prepared:
    """Per-election data shared by every run of MES."""

    budget: mpq
    costs: list[mpq]
    scale: list[mpq]
    """Utility of one supporter per unit of its points: the cost (approval) or 1 (points)."""
    groups: list[list[int]]
    """Per project, the indices of the distinct ballots that support it."""
    utils: list[list[mpq]] | None
    """Per project, each supporting ballot's points; None for approval (all 1)."""
    weights: list[int]
    total_util: list[mpq]
    eligible: list[int]
    """Projects that MES can fund: positive cost and at least one supporter."""
    free: list[int]
    """Supported projects that cost nothing: funded before MES starts."""
    rank: list[int]
    n_voters: int


def _prepare(election: Instance, rank: list[int]) -> _Prepared:
    m = len(election.project_ids)
    groups: list[list[int]] = [[] for _ in range(m)]
    utils: list[list[mpq]] = [[] for _ in range(m)]
    weights: list[int] = []
    for g, (weight, ballot) in enumerate(election.ballots):
        weights.append(weight)
        for i, utility in ballot:
            groups[i].append(g)
            utils[i].append(mpq(utility))
    approval = election.is_approval
    costs = [mpq(cost) for cost in election.costs]
    total_util = [mpq(score) for score in election.scores]
    return _Prepared(
        budget=mpq(election.budget),
        costs=costs,
        scale=costs if approval else [ONE] * m,
        groups=groups,
        utils=None if approval else utils,
        weights=weights,
        total_util=total_util,
        eligible=[i for i in range(m) if costs[i] > 0 and total_util[i] > 0],
        free=[i for i in range(m) if costs[i] == 0 and total_util[i] > 0],
        rank=rank,
        n_voters=election.n_voters,
    )


class _Horizon:
    """Largest Add1 step ``k`` up to which every branch taken in a run stays the same.

    The per-voter budget at step ``k`` is ``b(k) = start + k * step``. A branch condition
    ``c0 + c1 * b < 0`` (or ``<= 0``) that holds at the current step keeps holding for all
    larger ``b`` when ``c1 <= 0``; otherwise it holds up to its root.
    """

    __slots__ = ("b_hi", "k", "k_max", "start", "step")

    def __init__(self, start: mpq, step: mpq, k: int) -> None:
        self.start, self.step, self.k = start, step, k
        self.k_max: int | None = None
        self.b_hi: mpq | None = None

    def keep(self, c0: mpq, c1: mpq, strict: bool) -> None:
        if c1 <= 0:
            return
        if self.b_hi is not None:
            value = c0 + c1 * self.b_hi
            if value < 0 or (value == 0 and not strict):
                return
        steps = (-c0 / c1 - self.start) / self.step
        limit = math.ceil(steps) - 1 if strict else math.floor(steps)
        if self.k_max is None or limit < self.k_max:
            self.k_max = max(limit, self.k)
            self.b_hi = self.start + self.k_max * self.step


@dataclass(slots=True)
class _Trace:
    """What the final run did, for explanations (amounts rounded to float: display only)."""

    rounds: list[tuple[int, float]] = field(default_factory=list)
    """Funded project and the largest payment per point asked of a supporter, in order."""
    dropped: dict[int, tuple[int, float]] = field(default_factory=dict)
    """Unaffordable project -> (round, money its supporters still had)."""


class _Run:
    """One run of MES at a fixed per-voter budget, optionally tracking its horizon."""

    def __init__(self, prep: _Prepared, b: mpq, horizon: _Horizon | None, trace: _Trace | None) -> None:
        self.prep, self.horizon, self.trace = prep, horizon, trace
        # Budget classes: every voter of a class has budget ca + cb * b (value cv at this b).
        self.ca: list[mpq] = [ZERO]
        self.cb: list[mpq] = [ONE]
        self.cv: list[mpq] = [b]
        self.class_of: dict[tuple[mpq, mpq], int] = {(ZERO, ONE): 0}
        self.cls = [0] * len(prep.weights)

    def execute(self) -> list[int]:
        prep = self.prep
        prev = {c: (prep.costs[c] / prep.total_util[c] / prep.scale[c], ZERO) for c in prep.eligible}
        prev_value = {c: value for c, (value, _) in prev.items()}
        remaining = list(prep.eligible)
        selected = list(prep.free)
        while remaining:
            remaining.sort(key=lambda c: (prev_value[c], prep.rank[c]))
            best: _Evaluation | None = None
            kept: list[int] = []
            evaluated: list[_Evaluation] = []
            for position, c in enumerate(remaining):
                if best is not None and prev_value[c] > best.rho:
                    kept.extend(remaining[position:])
                    break
                evaluation = self._evaluate(c, len(selected))
                if evaluation is None:
                    continue
                kept.append(c)
                evaluated.append(evaluation)
                prev[c] = (evaluation.rho_a, evaluation.rho_b)
                prev_value[c] = evaluation.rho
                if best is None or (evaluation.rho, prep.rank[c]) < (best.rho, prep.rank[best.project]):
                    best = evaluation
            if best is None:
                break
            if self.horizon is not None:
                self._keep_best(best, evaluated, kept, prev)
            self._pay(best)
            selected.append(best.project)
            if self.trace is not None:
                self.trace.rounds.append((best.project, float(best.price)))
            kept.remove(best.project)
            remaining = kept
        return selected

    def _keep_best(
        self,
        best: _Evaluation,
        evaluated: list[_Evaluation],
        kept: list[int],
        prev: dict[int, tuple[mpq, mpq]],
    ) -> None:
        """Record that no other project may undercut the winner's rho."""
        assert self.horizon is not None
        rank = self.prep.rank
        done = {evaluation.project for evaluation in evaluated}
        for evaluation in evaluated:
            if evaluation is not best:
                strict = rank[evaluation.project] < rank[best.project]
                self.horizon.keep(best.rho_a - evaluation.rho_a, best.rho_b - evaluation.rho_b, strict)
        for c in kept:
            if c not in done:
                strict = rank[c] < rank[best.project]
                self.horizon.keep(best.rho_a - prev[c][0], best.rho_b - prev[c][1], strict)

    def _supporter_classes(self, c: int) -> dict[tuple[int, mpq], int]:
        prep, cls = self.prep, self.cls
        classes: dict[tuple[int, mpq], int] = {}
        weights = prep.weights
        utils = prep.utils[c] if prep.utils is not None else None
        if utils is None:
            plain: dict[int, int] = {}
            get = plain.get
            for g in prep.groups[c]:
                k = cls[g]
                plain[k] = get(k, 0) + weights[g]
            return {(k, ONE): weight for k, weight in plain.items()}
        for g, u in zip(prep.groups[c], utils, strict=True):
            key = (cls[g], u)
            classes[key] = classes.get(key, 0) + weights[g]
        return classes

    def _evaluate(self, c: int, round_no: int) -> _Evaluation | None:
        """Price of ``c`` now, or None (and forget it) if its supporters cannot pay for it."""
        prep, ca, cb, cv, horizon = self.prep, self.ca, self.cb, self.cv, self.horizon
        cost = prep.costs[c]
        classes = self._supporter_classes(c)
        money = sum((weight * cv[k] for (k, _), weight in classes.items()), ZERO)
        if money < cost:
            if horizon is not None:
                c0 = sum((weight * ca[k] for (k, _), weight in classes.items()), ZERO) - cost
                c1 = sum((weight * cb[k] for (k, _), weight in classes.items()), ZERO)
                horizon.keep(c0, c1, strict=True)
            if self.trace is not None:
                self.trace.dropped[c] = (round_no + 1, float(money))
            return None
        if prep.utils is None:
            entries = sorted(classes.items(), key=lambda item: cv[item[0][0]])
        else:
            entries = sorted(classes.items(), key=lambda item: cv[item[0][0]] / item[0][1])
        paid_v, paid_a, paid_b = ZERO, ZERO, ZERO
        denominator = prep.total_util[c]
        poor = 0
        for (k, u), weight in entries:
            if (cost - paid_v) * u <= cv[k] * denominator:
                break
            paid_v += weight * cv[k]
            paid_a += weight * ca[k]
            paid_b += weight * cb[k]
            denominator -= weight * u
            poor += 1
        price = (cost - paid_v) / denominator
        price_a = (cost - paid_a) / denominator
        price_b = -paid_b / denominator
        if horizon is not None:
            for position, ((k, u), _) in enumerate(entries):
                if position < poor:
                    horizon.keep(ca[k] - price_a * u, cb[k] - price_b * u, strict=True)
                else:
                    horizon.keep(price_a * u - ca[k], price_b * u - cb[k], strict=False)
        scale = prep.scale[c]
        return _Evaluation(
            c, price / scale, price_a / scale, price_b / scale, price, price_a, price_b, entries, poor
        )

    def _new_class(self, a: mpq, b: mpq, v: mpq) -> int:
        key = (a, b)
        k = self.class_of.get(key)
        if k is None:
            k = len(self.ca)
            self.class_of[key] = k
            self.ca.append(a)
            self.cb.append(b)
            self.cv.append(v)
        return k

    def _pay(self, best: _Evaluation) -> None:
        ca, cb, cv = self.ca, self.cb, self.cv
        moved: dict[tuple[int, mpq], int] = {}
        for position, ((k, u), _) in enumerate(best.entries):
            if position < best.poor:
                moved[(k, u)] = self._new_class(ZERO, ZERO, ZERO)
            else:
                moved[(k, u)] = self._new_class(
                    ca[k] - best.price_a * u, cb[k] - best.price_b * u, cv[k] - best.price * u
                )
        prep, cls = self.prep, self.cls
        c = best.project
        if prep.utils is None:
            plain = {k: target for (k, _), target in moved.items()}
            for g in prep.groups[c]:
                cls[g] = plain[cls[g]]
        else:
            for g, u in zip(prep.groups[c], prep.utils[c], strict=True):
                cls[g] = moved[(cls[g], u)]


@dataclass(slots=True)
class _Evaluation:
    project: int
    rho: mpq
    rho_a: mpq
    rho_b: mpq
    price: mpq
    price_a: mpq
    price_b: mpq
    entries: list[tuple[tuple[int, mpq], int]]
    poor: int


def _final_run(prep: _Prepared, kernel: MesKernel | None, b: mpq, trace: _Trace) -> tuple[list[int], bool]:
    """The outcome at per-voter budget ``b``, recording what happened for the explanations.

    Also says whether the run needed exact arithmetic.
    """
    run = kernel.run(float(b), float(b), 1.0, 0, track=False) if kernel is not None else None
    if run is None:
        return _Run(prep, b, None, trace).execute(), True
    trace.rounds.extend(zip(run.selected, run.prices, strict=True))
    before = len(prep.free)
    trace.dropped.update({c: (before + funded + 1, money) for c, (funded, money) in run.dropped.items()})
    return [*prep.free, *run.selected], False


def _total_cost(prep: _Prepared, selected: Sequence[int]) -> mpq:
    return sum((prep.costs[c] for c in selected), ZERO)


def _is_exhaustive(prep: _Prepared, selected: Sequence[int]) -> bool:
    left = prep.budget - _total_cost(prep, selected)
    chosen = set(selected)
    return all(prep.costs[c] > left for c in prep.eligible if c not in chosen)


FLOAT_EXACT_LIMIT = 2**53
"""Integers up to here are exact in float64; the kernel's error bounds need exact vote totals."""


def _kernel_for(prep: _Prepared) -> MesKernel | None:
    """The election laid out for the C kernel, or None when only exact arithmetic will do."""
    library = load_kernel()
    if library is None:
        return None
    if max(prep.total_util, default=ZERO) >= FLOAT_EXACT_LIMIT:
        return None  # huge group weights: supporters' totals would round
    if prep.utils is not None and any(u.denominator != 1 for utils in prep.utils for u in utils):
        return None  # fractional points
    return MesKernel(
        costs=[float(cost) for cost in prep.costs],
        scale=[float(scale) for scale in prep.scale],
        total_util=[float(total) for total in prep.total_util],
        rank=prep.rank,
        eligible=prep.eligible,
        supporters=prep.groups,
        points=None if prep.utils is None else [[float(u) for u in utils] for utils in prep.utils],
        weights=prep.weights,
        library=library,
    )


@dataclass(slots=True)
class _Runs:
    """How Add1 got its answer: MES runs made, and how many of them needed exact arithmetic."""

    total: int = 0
    exact: int = 0


def _run_step(
    prep: _Prepared, kernel: MesKernel | None, start: mpq, step: mpq, k: int, runs: _Runs
) -> tuple[list[int], int | None]:
    """MES at Add1 step ``k``: the outcome and the last step that provably gives the same one."""
    runs.total += 1
    b = start + k * step
    if kernel is not None:
        run = kernel.run(float(b), float(start), float(step), k, track=True)
        if run is not None:
            return [*prep.free, *run.selected], run.k_max
    runs.exact += 1
    horizon = _Horizon(start, step, k)
    selected = _Run(prep, b, horizon, None).execute()
    return selected, horizon.k_max


def _add1(
    prep: _Prepared, start: mpq, step: mpq, exhaustive_stop: bool, kernel: MesKernel | None, accelerate: bool
) -> tuple[list[int], mpq, _Runs]:
    """Run Add1; return the outcome, the per-voter budget that produced it, and the runs made.

    Without ``accelerate`` every step is computed; the horizon then only serves to stop once
    no later step can differ (a plain scan would never stop when nothing overspends).
    """
    k, runs = 0, _Runs()
    previous: list[int] | None = None
    while True:
        selected, k_max = _run_step(prep, kernel, start, step, k, runs)
        if _total_cost(prep, selected) > prep.budget:
            if previous is None:
                raise OutcomeError("MES overspends at the starting per-voter budget")
            # Report the last per-voter budget that still fitted, as a step-by-step scan would.
            return previous, start + (k - 1) * step, runs
        if exhaustive_stop and _is_exhaustive(prep, selected):
            return selected, start + k * step, runs
        previous = selected
        if k_max is None:
            # Every branch is stable for all larger budgets: the outcome can never change.
            return selected, start + k * step, runs
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
    prep = _prepare(election, tie_break_rank(election, recorded))
    if election.n_voters == 0:
        raise OutcomeError("MES needs at least one voter")
    if comparison is not None and comparison not in COMPARISONS:
        raise OutcomeError(f"unknown comparison {comparison!r}; use one of {COMPARISONS}")
    start = prep.budget / election.n_voters
    if integral_start:
        start = mpq(math.floor(start))
    b = start
    kernel = _kernel_for(prep) if accelerate else None
    runs = _Runs()
    if add1:
        _, b, runs = _add1(prep, start, mpq(increment), exhaustive_stop, kernel, accelerate)
    trace = _Trace()
    selected, exact = _final_run(prep, kernel, b, trace)
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
    explanations = _explain(election, prep, selected, trace)
    outcome = Outcome(
        rule="mes-add1" if add1 else "mes",
        params=params,
        tie_break=recorded,
        selected=[election.project_ids[c] for c in selected],
        total_cost=_as_amount(_total_cost(prep, selected)),
        explanations=explanations,
    )
    if comparison is None:
        return outcome
    return _compare_with_greedy(election, outcome, comparison)


def _as_amount(value: mpq) -> Amount:
    if value.denominator == 1:
        return int(value.numerator)
    return Fraction(int(value.numerator), int(value.denominator))


def _money(value: float) -> str:
    """Display form of an amount computed for an explanation: whole units when it is one."""
    if abs(value - round(value)) <= 1e-9 * max(1.0, abs(value)):
        return f"{round(value):,}"
    return f"{value:,.2f}"


def _explain(election: Instance, prep: _Prepared, selected: list[int], trace: _Trace) -> dict[str, str]:
    explanations: dict[str, str] = {}
    for round_no, (c, price) in enumerate(trace.rounds, start=1):
        if election.is_approval:
            effective = float(prep.costs[c]) / price
            how = (
                f"{effective:,.2f} effective votes of {election.votes[c]:,}, "
                f"each supporter paying at most {_money(price)}"
            )
        else:
            how = f"price {price:,.4f} per point from {format_amount(election.scores[c])} points"
        explanations[election.project_ids[c]] = f"selected in MES round {round_no}: {how}"
    for c in prep.free:
        explanations[election.project_ids[c]] = "selected: costs nothing and has supporters"
    for c, (round_no, money) in trace.dropped.items():
        explanations[election.project_ids[c]] = (
            f"MES: not affordable by its supporters' remaining budgets in round {round_no} "
            f"({_money(money)} left for a cost of {format_amount(election.costs[c])})"
        )
    chosen = set(selected)
    for c, project_id in enumerate(election.project_ids):
        if project_id not in explanations and c not in chosen:
            explanations[project_id] = "MES: no supporters"
    return explanations


def _satisfaction(election: Instance, selected: set[int]) -> list[tuple[int, int]]:
    """(weight, number of selected projects approved) per distinct ballot."""
    return [(weight, sum(1 for i, _ in ballot if i in selected)) for weight, ballot in election.ballots]


def _compare_with_greedy(election: Instance, mes: Outcome, comparison: str) -> Outcome:
    """equalshares.net's comparison step: keep MES unless more voters prefer the greedy outcome."""
    greedy_outcome = greedy(election, tie_break=GREEDY_TIE_BREAK)
    index = {project_id: i for i, project_id in enumerate(election.project_ids)}
    mes_sat = _satisfaction(election, {index[p] for p in mes.selected})
    greedy_sat = _satisfaction(election, {index[p] for p in greedy_outcome.selected})
    prefers_mes = prefers_greedy = 0
    for (weight, with_mes), (_, with_greedy) in zip(mes_sat, greedy_sat, strict=True):
        if comparison == "exclusion":
            with_mes, with_greedy = min(with_mes, 1), min(with_greedy, 1)
        if with_mes > with_greedy:
            prefers_mes += weight
        elif with_greedy > with_mes:
            prefers_greedy += weight
    summary = {"comparison": comparison, "prefer_mes": prefers_mes, "prefer_greedy": prefers_greedy}
    if prefers_greedy > prefers_mes:
        verdict = f"comparison step: {prefers_greedy:,} voters prefer greedy, {prefers_mes:,} prefer MES"
        explanations = {p: f"{text} ({verdict})" for p, text in greedy_outcome.explanations.items()}
        return Outcome(
            rule="mes-add1-comparison",
            params={**mes.params, **summary, "chosen": "greedy"},
            tie_break=mes.tie_break,
            selected=greedy_outcome.selected,
            total_cost=greedy_outcome.total_cost,
            explanations=explanations,
        )
    return Outcome(
        rule="mes-add1-comparison",
        params={**mes.params, **summary, "chosen": "mes"},
        tie_break=mes.tie_break,
        selected=mes.selected,
        total_cost=mes.total_cost,
        explanations=mes.explanations,
    )
