"""From stored ballots to an immutable outcome: one aggregate query, the engine, one insert.

Ballots are read grouped by identical content (voter group, projects, points) with their count
(`repository.list_ballot_groups`), so the engine gets merged ballots directly and the digest is computed
over the same rows. Voter identities never take part: the digest is the sha256 of the sorted anonymous
ballots, so an election exported and imported again has the same digest and the same outcome.
"""

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.outcomes.instance import Instance, OutcomeError, normalise_tie_break
from services.budget.outcomes.rules import compute_outcome, default_tie_break
from services.budget.pabulib.parser import Amount

Utility = int | Fraction


@dataclass(frozen=True, slots=True)
class BallotGroup:
    voter_group: str
    project_ids: tuple[str, ...]
    points: tuple[Decimal, ...] | None
    count: int


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    project_id: str
    cost: Decimal


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session's transaction, for COPY and large reads."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver


def amount(value: Decimal | int | Fraction) -> Amount:
    """An exact engine amount: int when integral, else a Fraction."""
    fraction = Fraction(value)
    return fraction.numerator if fraction.denominator == 1 else fraction


def json_amount(value: Decimal | int | Fraction) -> int | str:
    """An exact amount for JSON: int, a decimal string, or 'n/d' for a fraction with no finite decimal."""
    fraction = Fraction(value)
    if fraction.denominator == 1:
        return fraction.numerator
    denominator = fraction.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:
        digits = max(_power(fraction.denominator, 2), _power(fraction.denominator, 5))
        return format(Decimal(fraction.numerator * 10**digits // fraction.denominator).scaleb(-digits), "f")
    return f"{fraction.numerator}/{fraction.denominator}"


def to_decimal(value: int | Fraction) -> Decimal:
    """A decimal for NUMERIC columns; exact for amounts that came from decimal text."""
    text = json_amount(value)
    if isinstance(text, str) and "/" in text:
        fraction = Fraction(value)
        return Decimal(fraction.numerator) / Decimal(fraction.denominator)
    return Decimal(text)


def _power(n: int, prime: int) -> int:
    count = 0
    while n % prime == 0:
        n //= prime
        count += 1
    return count


def json_value(value: object) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | Fraction | Decimal):
        return json_amount(value)
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return str(value)


def ballot_digest(groups: Sequence[BallotGroup]) -> str:
    return digest_of(digest_line(g.voter_group, g.project_ids, g.points, g.count) for g in groups)


def digest_line(
    voter_group: str, project_ids: Sequence[str], points: Sequence[Decimal] | None, count: int
) -> str:
    """One distinct ballot's line of the digest: group, projects, points, count."""
    return f"{ballot_key(voter_group, ','.join(project_ids), points)}\t{count}"


def ballot_key(voter_group: str, joined_ids: str, points: Sequence[Decimal] | None) -> str:
    """A distinct ballot's line of the digest without its count: group, projects joined by ',', points."""
    shown = "" if points is None else ",".join(str(json_amount(p)) for p in points)
    return f"{voter_group}\t{joined_ids}\t{shown}"


def digest_of(lines: Iterable[str]) -> str:
    """The ballots' digest: sha256 of their lines sorted (by code point)."""
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def engine_election(
    *,
    budget: Decimal,
    ballot_type: str,
    projects: Sequence[ProjectInfo],
    groups: Sequence[BallotGroup],
    weights: Mapping[str, int],
    for_mes: bool,
) -> Instance:
    """Compile stored ballots for the engine.

    With one voter group every ballot counts once, as in Pabulib. With several, each group's share of
    the decision is its weight: a project's score is the sum over groups of weight x (the group's
    supporters / the group's voters). MES needs whole voter multiplicities, so there each ballot
    counts weight x L / (the group's voters), L being the least common multiple of the group sizes.
    The merged ballots are compiled for MES only: the greedy rules read the votes and scores alone.
    """
    index = {project.project_id: i for i, project in enumerate(projects)}
    sizes: Counter[str] = Counter()
    for group in groups:
        sizes[group.voter_group] += group.count
    weighted = len(weights) > 1
    scale = math.lcm(*sizes.values()) if weighted and sizes else 1
    multiplier = {code: (weights[code] * scale // size if weighted else 1) for code, size in sizes.items()}
    ballots: Counter[tuple[tuple[int, Utility], ...]] = Counter()
    votes = [0] * len(projects)
    scores: list[Utility] = [0] * len(projects)
    for group in groups:
        if group.points is None and not weighted and not for_mes:
            # The common case (greedy, one group, approval): counts only; greedy never reads the ballots.
            count = group.count
            for p in group.project_ids:
                i = index[p]
                votes[i] += count
                scores[i] += count
            continue
        if group.points is None:
            pairs: list[tuple[int, Utility]] = [(index[p], 1) for p in group.project_ids]
        else:
            pairs = [
                (index[p], amount(pts)) for p, pts in zip(group.project_ids, group.points, strict=True) if pts
            ]
        ballot = tuple(sorted(pairs))
        mes_weight = group.count * multiplier[group.voter_group]
        if for_mes:
            ballots[ballot] += mes_weight
        share: Utility = (
            Fraction(weights[group.voter_group] * group.count, sizes[group.voter_group])
            if weighted
            else group.count
        )
        for i, utility in ballot:
            votes[i] += group.count
            scores[i] += (mes_weight if for_mes else share) * utility
    n_voters = sum(size * multiplier[code] for code, size in sizes.items())
    return Instance(
        budget=amount(budget),
        vote_type="cumulative" if ballot_type == "cumulative" else "approval",
        project_ids=tuple(project.project_id for project in projects),
        costs=tuple(amount(project.cost) for project in projects),
        votes=tuple(votes),
        scores=tuple(tidy(score) for score in scores),
        ballots=tuple((weight, ballot) for ballot, weight in ballots.items()),
        n_voters=n_voters,
    )


def tidy(value: Utility) -> Utility:
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


@dataclass(frozen=True, slots=True)
class Computed:
    rule: str
    params: dict[str, Any]
    tie_break: list[str]
    selected: list[str]
    total_cost: Decimal
    projects: list[dict[str, Any]]
    details: dict[str, Any]


def request_key(
    rule: str, params: Mapping[str, Amount], tie_break: Sequence[str] | None
) -> tuple[dict[str, Any], list[str]]:
    """The canonical parameters and tie-break an outcome is stored and looked up under."""
    return json_value(dict(params)), list(normalise_tie_break(tie_break or default_tie_break(rule)))


def decide(
    *,
    rule: str,
    params: Mapping[str, Amount],
    tie_break: Sequence[str],
    budget: Decimal,
    compile_election: Callable[[], Instance],
    n_voters: int,
    weights: Mapping[str, int],
) -> Computed:
    """Compile the instance, run the engine (raises OutcomeError) and shape its answer for storage.

    `compile_election`: `engine_election` over the ballot groups (MES), or `ballot_tally.tally_instance`
    over the counts (greedy)."""
    election = compile_election()
    if rule.startswith("mes") and election.n_voters == 0:
        raise OutcomeError("the Method of Equal Shares needs at least one ballot")
    outcome = compute_outcome(election, rule, dict(params), tie_break=tie_break)
    chosen = set(outcome.selected)
    rows = [
        {
            "project_id": project_id,
            "selected": project_id in chosen,
            "cost": json_amount(election.costs[i]),
            "votes": election.votes[i],
            "score": json_amount(election.scores[i]),
            "explanation": outcome.explanations.get(project_id, "no supporters"),
        }
        for i, project_id in enumerate(election.project_ids)
    ]
    details = {
        "engine_params": json_value(dict(outcome.params)),
        "n_voters": n_voters,
        "voter_groups": json_value(dict(weights)),
        "budget": json_amount(budget),
        "vote_type": election.vote_type,
    }
    return Computed(
        rule=outcome.rule,
        params=json_value(dict(params)),
        tie_break=list(outcome.tie_break),
        selected=list(outcome.selected),
        total_cost=to_decimal(outcome.total_cost),
        projects=rows,
        details=details,
    )
