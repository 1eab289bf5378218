"""How a rubric's N/A level counts: it is left out of a mean, never read as zero."""

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction


def mean_of_levels(values: Iterable[Decimal | None]) -> Fraction | None:
    """The exact mean of the chosen levels' values, N/A levels (None) excluded; None if all are N/A."""
    counted = [Fraction(value) for value in values if value is not None]
    if not counted:
        return None
    return sum(counted, Fraction(0)) / len(counted)
