"""The aggregation of a panel's scores into a target's result: pure and exact (no database, no web, no float).

A rater's score of one indicator is in points out of the indicator's weight: a rubric level gives
weight × level value / the rubric's highest value, an N/A level gives nothing (left out, never zero), a
quantitative score gives its points as given. Per indicator the counted scores are aggregated by the cycle's
method; the weighted total is the sum of the indicators' aggregated points (at most 100, the weights summing
to 100). Every step is a Fraction; `display` renders one with a stated rounding, and only for showing.
"""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

Exact = Fraction | Decimal | int


class Method(StrEnum):
    """How one indicator's panel scores become its points."""

    trimmed_mean = (
        "trimmed_mean"  # drop the single highest and single lowest, average the rest (Korean default)
    )
    mean = "mean"
    median = "median"


# Below these counts a method means nothing: a trimmed mean of 2 scores would drop both.
METHOD_MINIMUM = {Method.trimmed_mean: 3, Method.mean: 1, Method.median: 1}


class TooFewScores(ValueError):
    """Fewer counted scores for an indicator than the minimum panel size (or the method's own minimum)."""

    def __init__(self, *, indicator_id: int, n: int, minimum: int, method: Method) -> None:
        self.indicator_id, self.n, self.minimum, self.method = indicator_id, n, minimum, method
        super().__init__(
            f"indicator {indicator_id} has {n} counted score(s); {method.value} needs at least {minimum}"
        )


class UnscorableRubric(ValueError):
    """A rubric whose values cannot give points in 0..weight: a highest value ≤ 0, or a negative level."""


@dataclass(frozen=True)
class RaterScore:
    """One rater's score of one indicator: its points out of the weight, or None for an N/A answer."""

    rater: Hashable
    points: Fraction | None


@dataclass(frozen=True)
class IndicatorScores:
    indicator_id: int
    weight: int
    scores: Sequence[RaterScore]


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator's arithmetic: every score by rater, the ones dropped and the N/A ones, n, the points."""

    indicator_id: int
    weight: int
    scores: tuple[RaterScore, ...]
    dropped: tuple[Hashable, ...]  # raters whose score the method left out (trimmed mean)
    not_applicable: tuple[Hashable, ...]  # raters who answered N/A: excluded, not zero
    n: int  # the scores the points are computed from
    points: Fraction  # the method's value of the counted scores: the indicator's points out of its weight


@dataclass(frozen=True)
class Aggregate:
    method: Method
    min_panel_size: int
    indicators: tuple[IndicatorResult, ...]
    total: Fraction = field(default=Fraction(0))


def rubric_points(weight: int, level_value: Exact | None, max_value: Exact) -> Fraction | None:
    """Points of a rubric answer: weight × value / the rubric's highest value; None for its N/A level."""
    if level_value is None:
        return None
    if Fraction(max_value) <= 0 or Fraction(level_value) < 0:
        raise UnscorableRubric(
            f"a level valued {level_value} on a rubric whose highest value is {max_value} gives no points"
            " in 0..weight: scores need levels valued from 0 up to a positive highest value"
        )
    return Fraction(weight) * Fraction(level_value) / Fraction(max_value)


def quantitative_points(weight: int, points: Exact) -> Fraction:
    """Points given directly for a quantitative indicator: 0 ≤ points ≤ weight."""
    value = Fraction(points)
    if not 0 <= value <= weight:
        raise ValueError(f"points {value} are outside 0..{weight}")
    return value


def _median(values: Sequence[Fraction]) -> Fraction:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _trimmed(scores: Sequence[RaterScore]) -> tuple[list[RaterScore], tuple[Hashable, Hashable]]:
    """Drop one lowest and one highest score. Ties: the first such score in the given order is dropped."""
    ordered = list(scores)
    lowest = min(range(len(ordered)), key=lambda i: (ordered[i].points, i))
    others = [i for i in range(len(ordered)) if i != lowest]  # all equal: still two different scores go
    highest = max(others, key=lambda i: (ordered[i].points, -i))
    kept = [s for i, s in enumerate(ordered) if i not in (lowest, highest)]
    return kept, (ordered[lowest].rater, ordered[highest].rater)


def minimum_for(method: Method, min_panel_size: int) -> int:
    """The count below which no result is computed: the cycle's minimum, never less than the method's."""
    return max(min_panel_size, METHOD_MINIMUM[method])


def aggregate_indicator(item: IndicatorScores, method: Method, min_panel_size: int) -> IndicatorResult:
    """The indicator's points by `method` from its counted (non-N/A) scores; too few: TooFewScores."""
    counted = [s for s in item.scores if s.points is not None]
    minimum = minimum_for(method, min_panel_size)
    if len(counted) < minimum:
        raise TooFewScores(indicator_id=item.indicator_id, n=len(counted), minimum=minimum, method=method)
    dropped: tuple[Hashable, ...] = ()
    if method is Method.trimmed_mean:
        counted, dropped = _trimmed(counted)
    values = [s.points for s in counted if s.points is not None]
    points = _median(values) if method is Method.median else sum(values, Fraction(0)) / len(values)
    return IndicatorResult(
        indicator_id=item.indicator_id,
        weight=item.weight,
        scores=tuple(item.scores),
        dropped=dropped,
        not_applicable=tuple(s.rater for s in item.scores if s.points is None),
        n=len(values),
        points=points,
    )


def aggregate(items: Sequence[IndicatorScores], method: Method, min_panel_size: int) -> Aggregate:
    """Every indicator of a target aggregated, and the weighted total (the sum of their points)."""
    if min_panel_size < 1:
        raise ValueError("the minimum panel size is at least 1")
    results = tuple(aggregate_indicator(item, method, min_panel_size) for item in items)
    return Aggregate(
        method=method,
        min_panel_size=min_panel_size,
        indicators=results,
        total=sum((r.points for r in results), Fraction(0)),
    )
