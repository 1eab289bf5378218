"""Inter-rater reliability of a round's panel, for information: Krippendorff's alpha and the six ICCs.

The numbers come from maintained libraries, not from code of ours: `krippendorff` (alpha, any missing ratings)
and `pingouin.intraclass_corr` (ICCs by two-way ANOVA, McGraw & Wong's forms; it needs complete data, so units
some rater did not score are left out, listwise). Units are (target, indicator) pairs and a rating is the
rater's points as a share of the indicator's weight, so indicators of different weights are comparable.
"""

import math
import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

# pingouin's rows, in its order; the Shrout & Fleiss (1979) name of each in brackets in the docs.
ICC_TYPES = ("ICC(1,1)", "ICC(A,1)", "ICC(C,1)", "ICC(1,k)", "ICC(A,k)", "ICC(C,k)")
SHROUT_FLEISS = {
    "ICC(1,1)": "ICC(1,1)",
    "ICC(A,1)": "ICC(2,1)",
    "ICC(C,1)": "ICC(3,1)",
    "ICC(1,k)": "ICC(1,k)",
    "ICC(A,k)": "ICC(2,k)",
    "ICC(C,k)": "ICC(3,k)",
}

PINGOUIN_MIN_VALUES = 5  # its two-way ANOVA refuses fewer ratings

Ratings = Mapping[Hashable, Mapping[Hashable, Fraction | float | None]]
"""Unit → rater → rating (None or absent: not rated)."""


@dataclass(frozen=True)
class Icc:
    type: str
    shrout_fleiss: str
    value: float
    ci95: tuple[float, float] | None


@dataclass(frozen=True)
class Reliability:
    raters: int
    units: int
    """Units rated by at least two raters (alpha's pairable units)."""
    alpha_interval: float | None
    icc_units: int
    """Units every rater of the round rated: the ICCs' complete data."""
    icc: list[Icc]


def _finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))


def krippendorff_alpha(ratings: Ratings, raters: list[Hashable]) -> float | None:
    """Alpha at the interval level; None when it is undefined (too few pairable ratings, no variation)."""
    units = list(ratings)
    matrix = np.full((len(raters), len(units)), np.nan)
    for column, unit in enumerate(units):
        for row, rater in enumerate(raters):
            value = ratings[unit].get(rater)
            if value is not None:
                matrix[row, column] = float(value)
    pairable = int((np.sum(~np.isnan(matrix), axis=0) >= 2).sum()) if units else 0
    if pairable == 0 or len(raters) < 2:
        return None
    import krippendorff

    try:
        value = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval"))
    except (ValueError, ZeroDivisionError):
        return None
    return value if _finite(value) else None


def intraclass(ratings: Ratings, raters: list[Hashable]) -> tuple[int, list[Icc]]:
    """The six ICCs over the units every rater rated (listwise); none with fewer than 2 units or raters."""
    complete = [unit for unit in ratings if all(ratings[unit].get(rater) is not None for rater in raters)]
    if len(complete) < 2 or len(raters) < 2 or len(complete) * len(raters) < PINGOUIN_MIN_VALUES:
        return len(complete), []
    # Imported on first use: pingouin brings pandas, scipy, statsmodels and matplotlib, seconds of start-up
    # that a service process should not pay before it answers anything.
    import pandas as pd
    import pingouin

    rows = [
        (index, str(rater), float(ratings[unit][rater]))  # type: ignore[arg-type]
        for index, unit in enumerate(complete)
        for rater in raters
    ]
    frame = pd.DataFrame(rows, columns=["unit", "rater", "rating"])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            table = pingouin.intraclass_corr(data=frame, targets="unit", raters="rater", ratings="rating")
        except (AssertionError, ValueError, ZeroDivisionError):  # pingouin checks its input with asserts
            return len(complete), []
    ci_column = "CI95" if "CI95" in table.columns else "CI95%"
    out = []
    for name, (_, row) in zip(ICC_TYPES, table.iterrows(), strict=True):
        value = float(row["ICC"])
        low, high = (float(bound) for bound in row[ci_column])
        if _finite(value):
            bounds = (low, high) if _finite(low) and _finite(high) else None
            out.append(Icc(name, SHROUT_FLEISS[name], value, bounds))
    return len(complete), out


def reliability(ratings: Ratings) -> Reliability:
    raters = sorted({rater for by_rater in ratings.values() for rater in by_rater}, key=str)
    pairable = sum(
        1 for by_rater in ratings.values() if sum(value is not None for value in by_rater.values()) >= 2
    )
    icc_units, icc = intraclass(ratings, raters)
    return Reliability(
        raters=len(raters),
        units=pairable,
        alpha_interval=krippendorff_alpha(ratings, raters),
        icc_units=icc_units,
        icc=icc,
    )
