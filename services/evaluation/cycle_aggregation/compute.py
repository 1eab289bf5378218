"""Every target's aggregate from a cycle's rows: the engine's rules (aggregation/engine.py) on integers.

A target's result (results/compute.py) builds a Fraction per score; here the scores of one indicator share a
scale — points × 10⁶, or rubric values × 10⁴ all worth weight / highest value each — so ordering, trimming,
the median and the sum are integer operations, and each indicator's points are one exact rational:
Σ / (10⁶ · k) for points, weight · Σ / (highest · k) for rubric values (k the count, or 2 for a median
of two). The answer is the same as the engine's (tests/evaluation/test_cycle_aggregation.py compares them):
the trimmed mean drops one lowest and one highest score whichever raters gave them, so only values matter.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from itertools import groupby
from operator import itemgetter
from typing import Any

from gmpy2 import mpq

from services.evaluation.aggregation.engine import Method, minimum_for
from services.evaluation.cycle_aggregation.repository import POINTS_SCALE


class Status(StrEnum):
    computed = "computed"
    not_open = "not_open"  # nothing to aggregate yet
    panel_too_small = "panel_too_small"  # an indicator has fewer counted scores than the minimum
    rubric_not_scorable = "rubric_not_scorable"  # a rubric's values give no points in 0..weight


@dataclass(frozen=True)
class IndicatorPoints:
    indicator_id: int
    n: int  # the scores the points are computed from (after trimming)
    points: Fraction


@dataclass
class TargetAggregate:
    target_id: int
    organization_id: int
    district_code: str
    round: int
    review_version: int
    status: Status = Status.computed
    total: Fraction | None = None
    indicators: list[IndicatorPoints] = field(default_factory=list)
    short: tuple[int, int, int] | None = None  # panel_too_small: (indicator, counted, minimum)


def _points(method: Method, values: list[int]) -> tuple[int, int, int]:
    """(Σ, k, n): the method's value is Σ / k on the values' scale, from n scores."""
    if method is Method.median:
        ordered = sorted(values)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle], 1, len(ordered)
        return ordered[middle - 1] + ordered[middle], 2, len(ordered)
    total, n = sum(values), len(values)
    if method is Method.trimmed_mean:
        total, n = total - min(values) - max(values), n - 2
    return total, n, n


def _target(head: Any, rows: list[Any], method: Method, minimum: int) -> TargetAggregate:
    made = TargetAggregate(
        head.target_id, head.organization_id, head.district_code, head.round, head.review_version
    )
    indicators = [row for row in rows if row.indicator_id is not None]  # none: not open
    if not head.open:
        made.status = Status.not_open
        return made
    # as the engine: every score becomes points first (an unscorable rubric), then each indicator's minimum
    if any(row.unscorable for row in indicators):
        made.status = Status.rubric_not_scorable
        return made
    total = mpq(0)
    for row in indicators:
        values = row.scores
        if len(values) < minimum:
            made.status, made.short, made.indicators = (
                Status.panel_too_small,
                (row.indicator_id, len(values), minimum),
                [],
            )
            return made
        summed, k, n = _points(method, values)
        if row.qualitative:
            points = mpq(row.weight * summed, row.max_value * k)
        else:
            points = mpq(summed, POINTS_SCALE * k)
        total += points
        made.indicators.append(IndicatorPoints(row.indicator_id, n, _fraction(points)))
    made.total = _fraction(total)
    return made


def _fraction(value: Any) -> Fraction:
    return Fraction(int(value.numerator), int(value.denominator))


def aggregate_cycle(rows: Sequence[Any], *, method: Method, min_panel_size: int) -> list[TargetAggregate]:
    """Every target's aggregate, in target order, from `repository.cycle_scores` rows."""
    minimum = minimum_for(method, min_panel_size)
    return [
        _target(group[0], group, method, minimum)
        for group in (list(g) for _, g in groupby(rows, key=itemgetter(0)))
    ]
