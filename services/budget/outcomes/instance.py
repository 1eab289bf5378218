"""Inputs and outputs of the outcome engine.

An :class:`Instance` is the compact, rule-ready form of a Pabulib instance: projects by index
in file order, exact costs, and identical ballots merged into one weighted ballot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import repeat

from services.budget.pabulib.parser import Amount, PbInstance
from services.budget.pabulib.votes import vote_columns

APPROVAL_TYPES = frozenset({"approval", "choose-1"})
POINT_TYPES = frozenset({"cumulative", "scoring"})

TIE_BREAK_KEYS = ("score_desc", "votes_desc", "cost_asc", "cost_desc", "file_order")
GREEDY_TIE_BREAK = ("score_desc", "cost_asc", "file_order")
MES_TIE_BREAK = ("cost_asc", "votes_desc", "file_order")

Ballot = tuple[tuple[int, Amount], ...]
"""A ballot as (project index, utility) pairs sorted by index; utility is 1 for approval."""


class OutcomeError(ValueError):
    """The election cannot be decided as asked (unknown rule, bad parameter, bad ballots)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    rule: str
    params: Mapping[str, object]
    tie_break: tuple[str, ...]
    selected: list[str]
    """Selected project ids, in the order the rule selected them."""
    total_cost: Amount
    explanations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Instance:
    budget: Amount
    vote_type: str
    project_ids: tuple[str, ...]
    costs: tuple[Amount, ...]
    votes: tuple[int, ...]
    """Number of voters supporting each project."""
    scores: tuple[Amount, ...]
    """Sum of utilities per project: votes for approval, points for cumulative ballots."""
    ballots: tuple[tuple[int, Ballot], ...]
    """Distinct ballots with their multiplicity."""
    n_voters: int

    @property
    def is_approval(self) -> bool:
        return self.vote_type in APPROVAL_TYPES

    def index_of(self, project_id: str) -> int:
        return self.project_ids.index(project_id)


def build_instance(instance: PbInstance, *, budget: Amount | None = None) -> Instance:
    """Compile a parsed instance; ``budget`` overrides the META budget."""
    vote_type = instance.vote_type
    if vote_type not in APPROVAL_TYPES | POINT_TYPES:
        raise OutcomeError(f"vote type {vote_type!r} is not supported by the outcome engine")
    index = {project_id: i for i, project_id in enumerate(instance.projects)}
    counts: Counter[Ballot] = Counter()
    ballots, all_points = vote_columns(instance.votes)
    if vote_type in APPROVAL_TYPES:
        # Index tuples counted by C-level maps (no Python frame per ballot), paired once per distinct one.
        distinct = Counter(map(tuple, map(sorted, map(map, repeat(index.__getitem__), ballots))))
        counts.update({tuple(zip(key, repeat(1))): n for key, n in distinct.items()})
    else:
        for vote, points in zip(ballots, all_points, strict=True):
            pairs = sorted((index[p], pts) for p, pts in zip(vote, points or (), strict=True) if pts)
            counts[tuple(pairs)] += 1
    costs = tuple(project.cost for project in instance.projects.values())
    return _assemble(
        instance.budget if budget is None else budget,
        vote_type,
        tuple(instance.projects),
        costs,
        counts,
        len(instance.votes),
    )


def make_instance(
    costs: Mapping[str, Amount],
    budget: Amount,
    ballots: Iterable[Iterable[str] | Mapping[str, Amount]],
) -> Instance:
    """Build an election by hand: approval ballots as id lists, point ballots as id->points maps."""
    index = {project_id: i for i, project_id in enumerate(costs)}
    counts: Counter[Ballot] = Counter()
    kinds: set[str] = set()
    n_voters = 0
    for ballot in ballots:
        n_voters += 1
        if isinstance(ballot, Mapping):
            kinds.add("cumulative")
            counts[tuple(sorted((index[p], pts) for p, pts in ballot.items() if pts))] += 1
        else:
            kinds.add("approval")
            counts[tuple((i, 1) for i in sorted({index[p] for p in ballot}))] += 1
    if len(kinds) > 1:
        raise OutcomeError("mixing approval and point ballots")
    vote_type = kinds.pop() if kinds else "approval"
    return _assemble(budget, vote_type, tuple(costs), tuple(costs.values()), counts, n_voters)


def _assemble(
    budget: Amount,
    vote_type: str,
    project_ids: tuple[str, ...],
    costs: tuple[Amount, ...],
    counts: Counter[Ballot],
    n_voters: int,
) -> Instance:
    votes = [0] * len(project_ids)
    scores: list[Amount] = [0] * len(project_ids)
    for ballot, weight in counts.items():
        for i, utility in ballot:
            if utility < 0:
                raise OutcomeError("negative points are not supported")
            votes[i] += weight
            scores[i] += weight * utility
    return Instance(
        budget=budget,
        vote_type=vote_type,
        project_ids=project_ids,
        costs=costs,
        votes=tuple(votes),
        scores=tuple(scores),
        ballots=tuple((weight, ballot) for ballot, weight in counts.items()),
        n_voters=n_voters,
    )


def tie_break_rank(election: Instance, tie_break: Sequence[str]) -> list[int]:
    """Rank of each project under ``tie_break`` (0 = preferred); file order settles what remains."""
    unknown = [key for key in tie_break if key not in TIE_BREAK_KEYS]
    if unknown:
        raise OutcomeError(f"unknown tie-break key(s) {unknown}; use {list(TIE_BREAK_KEYS)}")
    keys: dict[str, Callable[[int], Amount]] = {
        "score_desc": lambda i: -election.scores[i],
        "votes_desc": lambda i: -election.votes[i],
        "cost_asc": lambda i: election.costs[i],
        "cost_desc": lambda i: -election.costs[i],
        "file_order": lambda i: i,
    }
    chain = [keys[key] for key in tie_break] + [keys["file_order"]]
    order = sorted(range(len(election.project_ids)), key=lambda i: tuple(key(i) for key in chain))
    rank = [0] * len(order)
    for position, i in enumerate(order):
        rank[i] = position
    return rank


def normalise_tie_break(tie_break: Sequence[str]) -> tuple[str, ...]:
    """The recorded tie-break always ends with file order, which makes it total."""
    keys = tuple(tie_break)
    return keys if keys and keys[-1] == "file_order" else (*keys, "file_order")


def format_amount(value: Amount | Fraction) -> str:
    """``4512`` -> ``4,512``; non-integral values keep up to two decimals."""
    if isinstance(value, int) or value.denominator == 1:
        return f"{int(value):,}"
    return f"{float(value):,.2f}"
