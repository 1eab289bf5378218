"""The arithmetic shown with every result: what was counted, what was dropped, and how the total came about.

Exact values are text ("253/3" or "84.125"), each with its display form ("84.33"); the JSON is stored with the
result, so a result read years later shows the same steps it was computed with.
"""

from typing import Any

from services.evaluation.aggregation.engine import Aggregate, IndicatorResult, Method
from services.evaluation.aggregation.rounding import DISPLAY_PLACES, DISPLAY_ROUNDING, display, exact


def _indicator(result: IndicatorResult, method: Method) -> dict[str, Any]:
    dropped = list(result.dropped)
    scores = []
    for score in result.scores:
        dropped_here = score.rater in dropped
        if dropped_here:
            dropped.remove(score.rater)
        scores.append(
            {
                "rater": score.rater,
                "points": None if score.points is None else exact(score.points),
                "points_display": None if score.points is None else display(score.points),
                "not_applicable": score.points is None,
                "dropped": dropped_here,
            }
        )
    key = "median" if method is Method.median else "mean"
    return {
        "indicator_id": result.indicator_id,
        "weight": result.weight,
        "scores": scores,
        "dropped": list(result.dropped),
        "not_applicable": list(result.not_applicable),
        "n": result.n,
        key: exact(result.points),
        "points": exact(result.points),
        "points_display": display(result.points),
    }


def shown(aggregate: Aggregate) -> dict[str, Any]:
    """The JSON of the arithmetic: method, minimum, rounding, each indicator's steps, the weighted total."""
    return {
        "method": aggregate.method.value,
        "min_panel_size": aggregate.min_panel_size,
        "rounding": {"places": DISPLAY_PLACES, "mode": DISPLAY_ROUNDING, "applies_to": "display only"},
        "indicators": [_indicator(result, aggregate.method) for result in aggregate.indicators],
        "total": exact(aggregate.total),
        "total_display": display(aggregate.total),
    }
