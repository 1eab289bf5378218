"""An election laid out for runs of the Method of Equal Shares: exact numbers, and the C kernel's arrays.

Built once per outcome and shared by every MES run of Add1, whether the run is made by the C kernel
(mes_kernel.py) or in exact rational arithmetic (mes_exact.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gmpy2 import mpq

from .instance import Ballot, Instance
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
    """Per project, the distinct ballots that support it (numbered in :func:`_locality_order`)."""
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


LOCALITY_FROM = 65_536
"""Distinct ballots from which they are reordered: their budgets (32 bytes each) outgrow a 2 MiB cache."""


def _locality_order(election: Instance) -> list[int]:
    """The distinct ballots in an order where each project's supporters lie close together.

    Ballots sorted by their projects taken from the most to the least popular: the supporters of the
    most popular project form one block, those of the next ones few blocks. A run of MES walks every
    supporter of every project it prices, and at a city-wide vote (731,674 distinct ballots) walking them
    in file order is a cache miss each; in this order a run is 2-2.5 times as fast. Exact outcomes do
    not depend on the order; smaller elections keep the file order (their budgets stay in cache).
    """
    m = len(election.project_ids)
    if len(election.ballots) < LOCALITY_FROM:
        return list(range(len(election.ballots)))
    place = [0] * m
    for position, i in enumerate(sorted(range(m), key=lambda i: (-election.votes[i], i))):
        place[i] = position
    if m <= 256:
        # bytes compare like the sequences of places and, unlike lists, are not tracked by the cyclic GC
        packed = [bytes(sorted([place[i] for i, _ in ballot])) for _, ballot in election.ballots]
        return sorted(range(len(packed)), key=packed.__getitem__)
    keys = [tuple(sorted([place[i] for i, _ in ballot])) for _, ballot in election.ballots]
    return sorted(range(len(keys)), key=keys.__getitem__)


def prepare(election: Instance, rank: list[int], *, many_runs: bool = False) -> MesElection:
    """Supporters per project, exact costs and totals, and the projects MES may fund.

    ``many_runs`` (Add1 with the kernel) lets a city-wide vote pay for :func:`_locality_order`: ~1.7 s of
    CPU at 731,674 distinct ballots, repaid within a few runs, and lost on a single one.
    """
    m = len(election.project_ids)
    groups: list[list[int]] = [[] for _ in range(m)]
    utils: list[list[mpq]] = [[] for _ in range(m)]
    ballots: Sequence[tuple[int, Ballot]] = election.ballots
    if many_runs:
        ballots = [ballots[index] for index in _locality_order(election)]
    weights = [weight for weight, _ in ballots]
    if election.is_approval:
        # Every utility is 1: a Seoul-wide vote has millions of (ballot, project) pairs, so no mpq each.
        appends = [group.append for group in groups]
        for g, (_, ballot) in enumerate(ballots):
            for i, _ in ballot:
                appends[i](g)
    else:
        for g, (_, ballot) in enumerate(ballots):
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
