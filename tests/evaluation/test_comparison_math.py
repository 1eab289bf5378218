"""The comparison's arithmetic without a database: points, means by rater type, reliability.

Reliability is checked against published worked examples, so the libraries' numbers are known right:
Krippendorff's own reliability data (Computing Krippendorff's Alpha-Reliability, 2011: interval α = 0.849)
and Shrout & Fleiss (1979), Table 2's 6 targets × 4 judges and the ICCs of their Table 4.
"""

from decimal import Decimal
from fractions import Fraction

import pytest

from services.evaluation.comparison.compare import (
    IndicatorScores,
    TargetComparison,
    compare_cycle,
    compare_target,
)
from services.evaluation.comparison.points import achievement, level_points, mean, self_value_points
from services.evaluation.comparison.reliability import intraclass, krippendorff_alpha, reliability

# --- the agency's claimed value → points: weight × achievement, clipped to [0, 1] ---------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("3"), Fraction(0)),  # below the baseline: nothing, not a negative score
        (Decimal("3.999999"), Fraction(0)),
        (Decimal("4"), Fraction(0)),  # at the baseline
        (Decimal("4.000001"), Fraction(1, 8) * Fraction(1, 10**6) * 40),
        (Decimal("8"), Fraction(20)),  # half way: half the weight
        (Decimal("11.999999"), Fraction(40) - Fraction(40, 8 * 10**6)),
        (Decimal("12"), Fraction(40)),  # at the target: the whole weight
        (Decimal("12.000001"), Fraction(40)),  # above it: clipped
        (Decimal("1000"), Fraction(40)),
    ],
)
def test_ascending_self_value_points_at_and_around_baseline_and_target(
    value: Decimal, expected: Fraction
) -> None:
    # 공론장 운영 횟수: baseline 4, target 12, weight 40
    assert self_value_points(40, value, baseline=Decimal(4), target=Decimal(12), ascending=True) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("11"), Fraction(0)),  # worse than the baseline (more complaints)
        (Decimal("10.000001"), Fraction(0)),
        (Decimal("10"), Fraction(0)),
        (Decimal("9.999999"), Fraction(30, 6 * 10**6)),
        (Decimal("7"), Fraction(15)),
        (Decimal("4.000001"), Fraction(30) - Fraction(30, 6 * 10**6)),
        (Decimal("4"), Fraction(30)),
        (Decimal("3.999999"), Fraction(30)),
        (Decimal("0"), Fraction(30)),
    ],
)
def test_descending_self_value_points_are_inverted(value: Decimal, expected: Fraction) -> None:
    # lower is better: baseline 10 complaints, target 4, weight 30
    assert self_value_points(30, value, baseline=Decimal(10), target=Decimal(4), ascending=False) == expected


def test_a_target_equal_to_its_baseline_is_met_or_not() -> None:
    hold = {"baseline": Decimal(5), "target": Decimal(5)}
    assert achievement(Decimal("5"), ascending=True, **hold) == 1
    assert achievement(Decimal("5.000001"), ascending=True, **hold) == 1
    assert achievement(Decimal("4.999999"), ascending=True, **hold) == 0
    assert achievement(Decimal("4.999999"), ascending=False, **hold) == 1
    assert achievement(Decimal("5.000001"), ascending=False, **hold) == 0


def test_no_points_without_a_baseline_or_target_or_with_a_target_on_the_wrong_side() -> None:
    assert self_value_points(10, Decimal(5), baseline=None, target=Decimal(8), ascending=True) is None
    assert self_value_points(10, Decimal(5), baseline=Decimal(1), target=None, ascending=True) is None
    # an ascending indicator whose target is below its baseline (and the reverse) has no achievement
    assert self_value_points(10, Decimal(5), baseline=Decimal(8), target=Decimal(2), ascending=True) is None
    assert self_value_points(10, Decimal(5), baseline=Decimal(2), target=Decimal(8), ascending=False) is None


def test_rubric_levels_are_weight_times_value_over_the_best_value_and_na_is_no_score() -> None:
    assert level_points(20, Decimal(5), Decimal(5)) == 20
    assert level_points(20, Decimal(4), Decimal(5)) == 16
    assert level_points(15, Decimal(1), Decimal(3)) == 5
    assert level_points(20, None, Decimal(5)) is None
    with pytest.raises(ValueError):
        level_points(20, Decimal(1), Decimal(0))
    assert mean([Fraction(16), None, Fraction(20)]) == 18  # N/A left out, not zero
    assert mean([None, None]) is None


# --- self vs official vs expert ----------------------------------------------------------------------


def _target(
    self_points: list[Fraction | None],
    official: list[list[Fraction | None]],
    expert: list[list[Fraction | None]],
) -> TargetComparison:
    weights = [40, 60]
    return compare_target(
        IndicatorScores(
            index + 1,
            weights[index],
            self_points[index],
            {"official": official[index], "expert": expert[index]},
        )
        for index in range(2)
    )


def test_a_target_compares_mean_points_by_rater_type_per_indicator_and_in_total() -> None:
    result = _target(
        [Fraction(30), Fraction(42)],
        [[Fraction(32), Fraction(36)], [Fraction(48), Fraction(54), None]],
        [[Fraction(40)], [Fraction(45), Fraction(51)]],
    )
    first, second = result.indicators
    assert first.by_type["official"].points == 34 and first.by_type["official"].n == 2
    assert second.by_type["official"].points == 51 and second.by_type["official"].n == 2  # N/A left out
    assert first.differences == {
        "self_minus_official": -4,
        "self_minus_expert": -10,
        "official_minus_expert": -6,
    }
    assert result.totals["self"].points == 72 and result.totals["self"].counted_weight == 100
    assert result.totals["official"].points == 85
    assert result.totals["expert"].points == 88
    assert result.differences["self_minus_official"] == -13


def test_totals_count_only_scored_indicators_and_differences_pair_like_with_like() -> None:
    result = _target(
        [None, Fraction(42)],  # no self-evaluation of the first indicator
        [[Fraction(32)], [Fraction(48)]],
        [[], [None]],  # the experts gave nothing, then only N/A
    )
    assert result.totals["self"].points == 42 and result.totals["self"].counted_weight == 60
    assert result.totals["official"].points == 80 and result.totals["official"].counted_weight == 100
    assert result.totals["expert"].points is None and result.totals["expert"].counted_weight == 0
    assert result.differences["self_minus_official"] == -6  # only indicator 2 has both
    assert result.differences["self_minus_expert"] is None


def test_a_cycle_averages_its_targets_and_states_seed_001s_finding() -> None:
    low_self = _target(
        [Fraction(30), Fraction(42)], [[Fraction(34)], [Fraction(51)]], [[Fraction(36)], [Fraction(48)]]
    )
    high_self = _target(
        [Fraction(36), Fraction(50)], [[Fraction(34)], [Fraction(51)]], [[Fraction(36)], [Fraction(48)]]
    )
    cycle = compare_cycle([low_self, high_self])
    assert cycle.totals["self"].points == 79 and cycle.totals["self"].n == 2
    assert cycle.totals["official"].points == 85
    assert cycle.differences["self_minus_official"].points == Fraction(-13 + 1, 2)
    assert cycle.indicators[1]["self"].points == 33
    assert cycle.self_lowest is True
    assert compare_cycle([high_self]).self_lowest is False
    assert compare_cycle([]).self_lowest is None


# --- reliability against published worked examples --------------------------------------------------

NA = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the 4 observers × 12 units example.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
    "C": [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
}
# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges; Table 4 gives the ICCs to two decimals.
SHROUT_FLEISS_1979 = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
SHROUT_FLEISS_TABLE_4 = {
    "ICC(1,1)": 0.17,
    "ICC(2,1)": 0.29,
    "ICC(3,1)": 0.71,
    "ICC(1,k)": 0.44,
    "ICC(2,k)": 0.62,
    "ICC(3,k)": 0.91,
}


def _by_unit(observers: dict[str, list[int | None]]) -> dict[int, dict[str, int | None]]:
    units = len(next(iter(observers.values())))
    return {unit: {name: values[unit] for name, values in observers.items()} for unit in range(units)}


def test_krippendorff_alpha_interval_matches_krippendorffs_worked_example() -> None:
    ratings = _by_unit(KRIPPENDORFF_2011)
    assert krippendorff_alpha(ratings, ["A", "B", "C", "D"]) == pytest.approx(0.849, abs=0.0005)
    summary = reliability(ratings)
    assert summary.raters == 4 and summary.units == 11  # unit 12 has one value: not pairable


def test_the_six_iccs_match_shrout_and_fleiss_table_4() -> None:
    ratings = {
        row: {judge: value for judge, value in enumerate(values)}
        for row, values in enumerate(SHROUT_FLEISS_1979)
    }
    units, iccs = intraclass(ratings, [0, 1, 2, 3])
    assert units == 6
    found = {icc.shrout_fleiss: icc.value for icc in iccs}
    assert found == pytest.approx(SHROUT_FLEISS_TABLE_4, abs=0.005)


def test_reliability_is_undefined_rather_than_invented_on_too_little_data() -> None:
    assert krippendorff_alpha({1: {"A": 3, "B": 3}, 2: {"A": 3, "B": 3}}, ["A", "B"]) is None  # no variation
    assert krippendorff_alpha({1: {"A": 3}}, ["A"]) is None
    assert intraclass({1: {"A": 3, "B": 4}}, ["A", "B"]) == (1, [])
    incomplete = {1: {"A": 3, "B": 4}, 2: {"A": 5, "B": None}, 3: {"A": 1, "B": 2}}
    units, _ = intraclass(incomplete, ["A", "B"])
    assert units == 2  # listwise: the unit B did not rate is left out of the ICCs
    assert reliability({}).alpha_interval is None
