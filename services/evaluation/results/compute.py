"""From a target's stored scores to its exact aggregate (the arithmetic is in evaluation/aggregation)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Row

from services.evaluation.aggregation.engine import (
    Aggregate,
    IndicatorScores,
    Method,
    RaterScore,
    aggregate,
    quantitative_points,
    rubric_points,
)


def indicator_scores(rows: Sequence[Row[Any]]) -> list[IndicatorScores]:
    """Group the SCORES rows by indicator; a score becomes points out of the indicator's weight."""
    grouped: dict[int, tuple[int, list[RaterScore]]] = {}
    for row in rows:
        weight, scores = grouped.setdefault(row.indicator_id, (row.weight, []))
        if row.panel_member_id is None:
            continue  # an indicator nobody has scored yet
        if row.measure == "qualitative":
            value = None if row.not_applicable else row.level_value
            points = rubric_points(weight, value, row.max_value)
        else:
            points = quantitative_points(weight, row.points)
        scores.append(RaterScore(rater=row.panel_member_id, points=points))
    return [IndicatorScores(indicator_id=i, weight=w, scores=s) for i, (w, s) in grouped.items()]


def compute(rows: Sequence[Row[Any]], *, method: Method, min_panel_size: int) -> Aggregate:
    """The target's aggregate; engine.TooFewScores when an indicator has too few counted scores."""
    return aggregate(indicator_scores(rows), method, min_panel_size)
