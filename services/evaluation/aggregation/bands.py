"""A result's category from the cycle's grade bands (data of the cycle), decided on the exact total."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction


class Category(StrEnum):
    continue_with_increase = "continue_with_increase"
    continue_ = "continue"
    reduce = "reduce"
    stop = "stop"


CATEGORY_KO = {
    Category.continue_with_increase: "계속 지원(증액)",
    Category.continue_: "계속 지원",
    Category.reduce: "감액 지원",
    Category.stop: "지원 중단",
}


@dataclass(frozen=True)
class Band:
    """Totals of at least `min_total` points (up to the next band's minimum) fall in `category`."""

    min_total: Decimal
    category: Category


# An example, the one the README and tests use: ≥90 increase, ≥70 continue, ≥60 reduce, below 60 stop.
EXAMPLE_BANDS = (
    Band(Decimal(90), Category.continue_with_increase),
    Band(Decimal(70), Category.continue_),
    Band(Decimal(60), Category.reduce),
    Band(Decimal(0), Category.stop),
)


def check_bands(bands: Sequence[Band]) -> None:
    """Bands are usable when their minimums are distinct, within 0..100, and one starts at 0."""
    minimums = [band.min_total for band in bands]
    if len(set(minimums)) != len(minimums):
        raise ValueError("two bands have the same minimum")
    if any(not 0 <= m <= 100 for m in minimums):
        raise ValueError("a band's minimum lies outside 0..100")
    if Decimal(0) not in minimums:
        raise ValueError("one band must start at 0 so that every total has a category")


def categorize(total: Fraction, bands: Sequence[Band]) -> Category:
    """The band of the highest minimum not above the exact total: 89.996 is below 90 (though shown 90.00)."""
    check_bands(bands)
    for band in sorted(bands, key=lambda b: b.min_total, reverse=True):
        if total >= Fraction(band.min_total):
            return band.category
    raise ValueError(f"no band covers the total {total}")
