"""The pure aggregation: methods, the minimum panel size, N/A, the weighted total, display, grade bands."""

from decimal import Decimal
from fractions import Fraction

import pytest

from services.evaluation.aggregation.arithmetic import shown
from services.evaluation.aggregation.bands import EXAMPLE_BANDS, Band, Category, categorize, check_bands
from services.evaluation.aggregation.engine import (
    IndicatorScores,
    Method,
    RaterScore,
    TooFewScores,
    UnscorableRubric,
    aggregate,
    aggregate_indicator,
    quantitative_points,
    rubric_points,
)
from services.evaluation.aggregation.rounding import display, exact

F = Fraction


def scores(*points: int | Fraction | None, weight: int = 10, indicator_id: int = 1) -> IndicatorScores:
    given = [RaterScore(rater=i + 1, points=None if p is None else F(p)) for i, p in enumerate(points)]
    return IndicatorScores(indicator_id=indicator_id, weight=weight, scores=given)


def test_trimmed_mean_drops_one_highest_and_one_lowest() -> None:
    result = aggregate_indicator(scores(2, 9, 5, 6, 7), Method.trimmed_mean, 3)
    assert result.points == F(5 + 6 + 7, 3) == 6
    assert result.dropped == (1, 2) and result.n == 3


def test_trimmed_mean_drops_a_single_score_of_each_tie() -> None:
    result = aggregate_indicator(scores(8, 8, 8, 4, 4), Method.trimmed_mean, 3)
    assert result.points == F(8 + 8 + 4, 3)  # one 8 and one 4 dropped, not all of them
    assert result.dropped == (4, 1)  # the first lowest and the first highest in rater order
    equal = aggregate_indicator(scores(7, 7, 7), Method.trimmed_mean, 3)
    assert equal.points == 7 and equal.n == 1 and equal.dropped == (1, 2)


def test_mean_and_median_are_exact() -> None:
    assert aggregate_indicator(scores(1, 2, 2), Method.mean, 1).points == F(5, 3)
    assert aggregate_indicator(scores(9, 1, 5), Method.median, 1).points == 5
    assert aggregate_indicator(scores(9, 1, 5, 2), Method.median, 1).points == F(7, 2)
    assert aggregate_indicator(scores(9, 1, 5, 2), Method.mean, 1).dropped == ()


@pytest.mark.parametrize("method", list(Method))
@pytest.mark.parametrize(("n", "computed"), [(4, False), (5, True), (6, True)])
def test_minimum_panel_size_at_below_and_above(method: Method, n: int, computed: bool) -> None:
    item = scores(*range(1, n + 1))
    if computed:
        assert aggregate_indicator(item, method, 5).n == (n - 2 if method is Method.trimmed_mean else n)
        return
    with pytest.raises(TooFewScores) as raised:
        aggregate_indicator(item, method, 5)
    assert (raised.value.n, raised.value.minimum, raised.value.indicator_id) == (4, 5, 1)
    assert "4 counted score(s)" in str(raised.value) and "at least 5" in str(raised.value)


@pytest.mark.parametrize(("n", "computed"), [(2, False), (3, True), (4, True)])
def test_trimmed_mean_needs_three_whatever_the_cycle_minimum(n: int, computed: bool) -> None:
    item = scores(*range(1, n + 1))
    if computed:
        assert aggregate_indicator(item, Method.trimmed_mean, 1).n == n - 2
    else:
        with pytest.raises(TooFewScores) as raised:
            aggregate_indicator(item, Method.trimmed_mean, 1)
        assert raised.value.minimum == 3
    assert aggregate_indicator(scores(*range(1, n + 1)), Method.mean, 1).n == n


def test_not_applicable_is_excluded_not_zero_and_counts_against_the_minimum() -> None:
    result = aggregate_indicator(scores(8, None, 6, 4, None), Method.mean, 3)
    assert result.points == 6 and result.n == 3 and result.not_applicable == (2, 5)
    with pytest.raises(TooFewScores) as raised:
        aggregate_indicator(scores(8, None, 6, None), Method.mean, 3)
    assert raised.value.n == 2


def test_rubric_and_quantitative_points() -> None:
    assert rubric_points(40, Decimal("4"), Decimal("5")) == 32
    assert rubric_points(30, Decimal("3"), Decimal("7")) == F(90, 7)
    assert rubric_points(30, None, Decimal("5")) is None
    assert rubric_points(30, Decimal("0"), Decimal("5")) == 0
    for value, highest in ((Decimal("-1"), Decimal("5")), (Decimal("0"), Decimal("0"))):
        with pytest.raises(UnscorableRubric):
            rubric_points(30, value, highest)
    assert quantitative_points(20, Decimal("20")) == 20 and quantitative_points(20, 0) == 0
    for outside in (Decimal("20.000001"), Decimal("-0.000001")):
        with pytest.raises(ValueError, match=r"outside 0\.\.20"):
            quantitative_points(20, outside)


def test_weighted_total_is_the_sum_of_points_and_stays_exact() -> None:
    items = [
        scores(F(60), F(50), F(55), weight=60, indicator_id=1),
        scores(F(40), F(30), F(32), F(40, 3), weight=40, indicator_id=2),
    ]
    result = aggregate(items, Method.mean, 3)
    assert result.total == F(165, 3) + (F(102) + F(40, 3)) / 4 == F(503, 6)
    assert display(result.total) == "83.83" and exact(result.total) == "503/6"


def test_display_rounds_half_up_only_when_rendered() -> None:
    assert display(F(84125, 1000)) == "84.13"
    assert display(F(84124999, 1000000)) == "84.12"
    assert display(F(8999999, 100000)) == "90.00"
    assert display(F(0)) == "0.00" and display(F(100)) == "100.00"
    assert display(F(-84125, 1000)) == "-84.13"
    assert exact(F(84125, 1000)) == "84.125" and exact(F(1, 3)) == "1/3" and exact(F(0)) == "0"
    assert exact(F(10**40 + 1, 2**3)) == "1250000000000000000000000000000000000000.125"


def test_the_arithmetic_shows_every_score_the_dropped_n_mean_and_total() -> None:
    items = [scores(2, 9, None, 6, 7, weight=10), scores(F(10, 3), 2, 1, weight=5, indicator_id=2)]
    arithmetic = shown(aggregate(items, Method.trimmed_mean, 3))
    indicator = arithmetic["indicators"][0]
    assert [s["points"] for s in indicator["scores"]] == ["2", "9", None, "6", "7"]
    assert [s["dropped"] for s in indicator["scores"]] == [True, True, False, False, False]
    assert indicator["not_applicable"] == [3] and indicator["n"] == 2
    assert indicator["mean"] == "6.5" == indicator["points"] and indicator["points_display"] == "6.50"
    assert arithmetic["indicators"][1]["scores"][0]["points"] == "10/3"
    assert arithmetic["indicators"][1]["scores"][0]["points_display"] == "3.33"
    assert arithmetic["total"] == "8.5" and arithmetic["rounding"]["mode"] == "ROUND_HALF_UP"
    median = shown(aggregate(items, Method.median, 3))["indicators"][0]
    assert median["median"] == "6.5" and "mean" not in median


@pytest.mark.parametrize(
    ("total", "category"),
    [
        (F(90), Category.continue_with_increase),
        (F(8999999, 100000), Category.continue_),  # shown as 90.00, still below 90
        (F(9000001, 100000), Category.continue_with_increase),
        (F(70), Category.continue_),
        (F(6999, 100), Category.reduce),
        (F(7001, 100), Category.continue_),
        (F(60), Category.reduce),
        (F(5999, 100), Category.stop),
        (F(6001, 100), Category.reduce),
        (F(0), Category.stop),
        (F(100), Category.continue_with_increase),
    ],
)
def test_category_from_bands_at_below_and_above_each_boundary(total: Fraction, category: Category) -> None:
    assert categorize(total, EXAMPLE_BANDS) == category


def test_bands_must_cover_every_total_once() -> None:
    with pytest.raises(ValueError, match="start at 0"):
        check_bands([Band(Decimal(60), Category.reduce)])
    with pytest.raises(ValueError, match="same minimum"):
        check_bands([Band(Decimal(0), Category.stop), Band(Decimal(0), Category.reduce)])
    with pytest.raises(ValueError, match="outside"):
        check_bands([Band(Decimal(0), Category.stop), Band(Decimal("100.5"), Category.reduce)])
