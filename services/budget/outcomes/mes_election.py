"""An election laid out for runs of the Method of Equal Shares: exact numbers, and the C kernel's arrays.

Built once per outcome and shared by every MES run of Add1, whether the run is made by the C kernel
(mes_kernel.py) or in exact rational arithmetic (mes_exact.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gmpy2 import mpq

from .instance import Instance
from .mes_kernel import MesKernel, load_kernel

ZERO = mpq(0)
ONE = mpq(1)


@dataclass(slots=True)
class MesElection:
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


def prepare(election: Instance, rank: list[int]) -> MesElection:
    """Supporters per project, exact costs and totals, and the projects MES may fund."""
    m = len(election.project_ids)
    groups: list[list[int]] = [[] for _ in range(m)]
    utils: list[list[mpq]] = [[] for _ in range(m)]
    weights = [weight for weight, _ in election.ballots]
    if election.is_approval:
        # Every utility is 1: a Seoul-wide vote has millions of (ballot, project) pairs, so no mpq each.
        appends = [group.append for group in groups]
        for g, (_, ballot) in enumerate(election.ballots):
            for i, _ in ballot:
                appends[i](g)
    else:
        for g, (_, ballot) in enumerate(election.ballots):
            for i, utility in ballot:
                groups[i].append(g)
                utils[i].append(mpq(utility))
    approval = election.is_approval
    costs = [mpq(cost) for cost in election.costs]
    total_util = [mpq(score) for score in election.scores]
    return MesElection(
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


def total_cost(prep: MesElection, selected: Sequence[int]) -> mpq:
    return sum((prep.costs[c] for c in selected), ZERO)


def is_exhaustive(prep: MesElection, selected: Sequence[int]) -> bool:
    left = prep.budget - total_cost(prep, selected)
    chosen = set(selected)
    return all(prep.costs[c] > left for c in prep.eligible if c not in chosen)


FLOAT_EXACT_LIMIT = 2**53
"""Integers up to here are exact in float64; the kernel's error bounds need exact vote totals."""


def kernel_for(prep: MesElection) -> MesKernel | None:
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
