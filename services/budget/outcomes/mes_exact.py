"""One run of the Method of Equal Shares in exact rational arithmetic (gmpy2).

The reference the C kernel mirrors, and its fallback for any run the kernel cannot certify. A run can
also track its :class:`Horizon`: the largest Add1 step up to which every branch it took stays the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gmpy2 import mpq

from .mes_election import ONE, ZERO, MesElection


class Horizon:
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
class Trace:
    """What the final run did, for explanations (amounts rounded to float: display only)."""

    rounds: list[tuple[int, float]] = field(default_factory=list)
    """Funded project and the largest payment per point asked of a supporter, in order."""
    dropped: dict[int, tuple[int, float]] = field(default_factory=dict)
    """Unaffordable project -> (round, money its supporters still had)."""


class ExactRun:
    """One run of MES at a fixed per-voter budget, optionally tracking its horizon."""

    def __init__(self, prep: MesElection, b: mpq, horizon: Horizon | None, trace: Trace | None) -> None:
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
            best: Evaluation | None = None
            kept: list[int] = []
            evaluated: list[Evaluation] = []
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
        best: Evaluation,
        evaluated: list[Evaluation],
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

    def _evaluate(self, c: int, round_no: int) -> Evaluation | None:
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
        return Evaluation(
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

    def _pay(self, best: Evaluation) -> None:
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
class Evaluation:
    project: int
    rho: mpq
    rho_a: mpq
    rho_b: mpq
    price: mpq
    price_a: mpq
    price_b: mpq
    entries: list[tuple[tuple[int, mpq], int]]
    poor: int
