"""Self vs official vs expert: mean points per rater type, per indicator, per target and per cycle.

Seed 001's mutual evaluation compared the three and found the agencies' self scores lower than the officials'
and the experts'; these functions make that comparison for any cycle. Pure and exact (Fractions): the service
feeds them the points of `points.py`, and rounds only for display. Sums start from the integer 0, so they keep
the type of the values given (Fraction, or the faster gmpy2 `mpq` the service uses).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import cast

from services.evaluation.comparison.points import mean

RATER_TYPES = ("self", "official", "expert")
PAIRS = (("self", "official"), ("self", "expert"), ("official", "expert"))


def pair_name(first: str, second: str) -> str:
    return f"{first}_minus_{second}"


@dataclass(frozen=True)
class TypeMean:
    points: Fraction | None
    n: int
    """How many scores the mean is of (N/A ones left out)."""


@dataclass(frozen=True)
class IndicatorScores:
    """What one target's raters gave one indicator, in points (None: an N/A level or no convertible value)."""

    indicator_id: int
    weight: int
    self_points: Fraction | None
    panel: Mapping[str, Sequence[Fraction | None] | TypeMean] = field(default_factory=dict)
    """Rater type (`official`, `expert`) → the points of each submitted score, or their mean already taken."""


@dataclass(frozen=True)
class IndicatorComparison:
    indicator_id: int
    weight: int
    by_type: dict[str, TypeMean]
    differences: dict[str, Fraction | None]


@dataclass(frozen=True)
class Total:
    points: Fraction | None
    counted_weight: int
    """The weights of the indicators this type scored: the total is out of this, 100 when all were scored."""


@dataclass(frozen=True)
class TargetComparison:
    indicators: list[IndicatorComparison]
    totals: dict[str, Total]
    differences: dict[str, Fraction | None]
    """Per pair, Σ over the indicators both types scored of (first − second): a like-for-like total."""


def _differences(by_type: Mapping[str, Fraction | None]) -> dict[str, Fraction | None]:
    out: dict[str, Fraction | None] = {}
    for first, second in PAIRS:
        a, b = by_type.get(first), by_type.get(second)
        out[pair_name(first, second)] = None if a is None or b is None else a - b
    return out


def compare_indicator(scores: IndicatorScores) -> IndicatorComparison:
    by_type = {"self": TypeMean(scores.self_points, 0 if scores.self_points is None else 1)}
    for rater_type in ("official", "expert"):
        given = scores.panel.get(rater_type, ())
        if isinstance(given, TypeMean):
            by_type[rater_type] = given
        else:
            by_type[rater_type] = TypeMean(mean(given), sum(1 for value in given if value is not None))
    differences = _differences({name: value.points for name, value in by_type.items()})
    return IndicatorComparison(scores.indicator_id, scores.weight, by_type, differences)


def compare_target(indicators: Iterable[IndicatorScores]) -> TargetComparison:
    compared = [compare_indicator(scores) for scores in indicators]
    totals: dict[str, Total] = {}
    for rater_type in RATER_TYPES:
        scored = [item for item in compared if item.by_type[rater_type].points is not None]
        points = cast(Fraction, sum((item.by_type[rater_type].points or 0 for item in scored), 0))
        totals[rater_type] = Total(points if scored else None, sum(item.weight for item in scored))
    differences: dict[str, Fraction | None] = {}
    for first, second in PAIRS:
        paired = [item.differences[pair_name(first, second)] for item in compared]
        counted = [value for value in paired if value is not None]
        differences[pair_name(first, second)] = cast(Fraction, sum(counted, 0)) if counted else None
    return TargetComparison(compared, totals, differences)


@dataclass(frozen=True)
class CycleComparison:
    totals: dict[str, TypeMean]
    """Per rater type, the mean of the targets' totals (n = targets with a total of that type)."""
    differences: dict[str, TypeMean]
    """Per pair, the mean of the targets' like-for-like differences (n = targets with both types)."""
    indicators: dict[int, dict[str, TypeMean]]
    """Per indicator, per rater type, the mean over targets of their means (a common one spans targets)."""
    self_lowest: bool | None
    """Seed 001's finding: self below both official and expert on average, like for like (None when a type
    is missing)."""


def compare_cycle(targets: Sequence[TargetComparison]) -> CycleComparison:
    totals = {}
    for rater_type in RATER_TYPES:
        given = [target.totals[rater_type].points for target in targets]
        totals[rater_type] = TypeMean(mean(given), sum(1 for value in given if value is not None))
    differences = {}
    for first, second in PAIRS:
        name = pair_name(first, second)
        given = [target.differences[name] for target in targets]
        differences[name] = TypeMean(mean(given), sum(1 for value in given if value is not None))
    per_indicator: dict[int, dict[str, list[Fraction | None]]] = defaultdict(lambda: defaultdict(list))
    for target in targets:
        for item in target.indicators:
            for rater_type in RATER_TYPES:
                per_indicator[item.indicator_id][rater_type].append(item.by_type[rater_type].points)
    indicators = {
        indicator_id: {
            rater_type: TypeMean(mean(values), sum(1 for value in values if value is not None))
            for rater_type, values in by_type.items()
        }
        for indicator_id, by_type in per_indicator.items()
    }
    below_official = differences[pair_name("self", "official")].points
    below_expert = differences[pair_name("self", "expert")].points
    self_lowest = (
        None if below_official is None or below_expert is None else max(below_official, below_expert) < 0
    )
    return CycleComparison(totals, differences, indicators, self_lowest)
