"""Scores as points out of an indicator's weight, in exact arithmetic (the lanes' shared contract).

A panel score is `points` as given, or a rubric level worth weight × value / (the rubric's best value); an N/A
level is no score at all (None), never zero. The agency's self-evaluation of a quantitative indicator is its
claimed actual value, worth weight × achievement, where achievement is how far the value went from the
baseline towards the target, clipped to [0, 1].
"""

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import cast

Number = Decimal | int | Fraction


def level_points(weight: int, level_value: Number | None, best_value: Number) -> Fraction | None:
    """A rubric level in points: weight × value / best value of its rubric; None for the N/A level."""
    if level_value is None:
        return None
    best = Fraction(best_value)
    if best <= 0:
        raise ValueError(f"a rubric's best value must be positive, not {best_value}")
    return Fraction(weight) * Fraction(level_value) / best


def achievement(
    value: Number, *, baseline: Number | None, target: Number | None, ascending: bool
) -> Fraction | None:
    """How far `value` went from the baseline to the target, clipped to [0, 1].

    Ascending indicators (higher is better) aim above their baseline, descending ones below it; the ratio is
    (value − baseline) / (target − baseline) either way, which counts a fall as progress when the target is
    lower. Without a baseline or target, or with a target on the wrong side of the baseline for the
    direction, there is no achievement (None). A target equal to its baseline (hold the level) is met or not.
    """
    if baseline is None or target is None:
        return None
    value_, baseline_, target_ = Fraction(value), Fraction(baseline), Fraction(target)
    span = target_ - baseline_
    if span == 0:
        met = value_ >= target_ if ascending else value_ <= target_
        return Fraction(1) if met else Fraction(0)
    if (span > 0) != ascending:
        return None
    return min(Fraction(1), max(Fraction(0), (value_ - baseline_) / span))


def self_value_points(
    weight: int, value: Number, *, baseline: Number | None, target: Number | None, ascending: bool
) -> Fraction | None:
    """The agency's claimed actual of a quantitative indicator in points: weight × achievement."""
    reached = achievement(value, baseline=baseline, target=target, ascending=ascending)
    return None if reached is None else Fraction(weight) * reached


def mean(values: Iterable[Fraction | None]) -> Fraction | None:
    """The exact mean of the scores given, N/A (None) left out; None when there is none."""
    counted = [value for value in values if value is not None]
    if not counted:
        return None
    return cast(Fraction, sum(counted, 0) / len(counted))
