"""From the rows of `repository` to the answers: points per score, then `compare` and the reliability.

No I/O: the service runs this in a worker thread, so a large cycle does not hold the event loop.
"""

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, localcontext
from fractions import Fraction
from functools import lru_cache
from typing import Any

from gmpy2 import mpq
from sqlalchemy import RowMapping

from services.evaluation.comparison import schemas
from services.evaluation.comparison.compare import (
    PAIRS,
    RATER_TYPES,
    IndicatorScores,
    TargetComparison,
    TypeMean,
    compare_cycle,
    compare_target,
    pair_name,
)
from services.evaluation.comparison.points import level_points, self_value_points
from services.evaluation.comparison.reliability import reliability
from services.evaluation.comparison.schemas import RaterType as RaterTypeName

DISPLAY_PLACES = 4
# The exact rational type of a comparison's arithmetic: GMP's, ~10× faster than `fractions.Fraction` on the
# ~16,000 operations of a 25-target cycle, and as exact (tests/evaluation/test_comparison_exact.py compares
# every answer with Fraction's on seeded random cycles). Values mix freely with Fractions.
Q: Any = mpq
NO_SELF = "no self-evaluation of this indicator"
SELF_NA = "the self-evaluation chose the rubric's N/A level"
UNSCORABLE = "the rubric's best value is not positive: its levels give no points"
NO_ACHIEVEMENT = "no baseline and target to measure the claimed value against (or a target on the wrong side)"


def display(value: Fraction | None) -> str | None:
    """Half-even to DISPLAY_PLACES, exactly (round() of a Fraction is exact and rounds half to even)."""
    if value is None:
        return None
    scaled = int(round(value * 10**DISPLAY_PLACES))  # noqa: RUF046 - an mpq rounds to an mpz, not an int
    return f"{Decimal(scaled).scaleb(-DISPLAY_PLACES):f}"


def scorable(indicator: RowMapping) -> bool:
    """A rubric whose best value is not positive cannot turn levels into points (weight × value / best)."""
    return indicator["best_value"] is not None and indicator["best_value"] > 0


def _level(indicator: RowMapping, level_value: Decimal | None) -> Fraction | None:
    if level_value is None or not scorable(indicator):
        return None
    return level_points(indicator["weight"], level_value, indicator["best_value"])


def score_points(indicator: RowMapping, score: RowMapping) -> Fraction | None:
    """A panel score in points out of the weight: points as given, or its rubric level (N/A: None)."""
    if score["points"] is not None:
        return Fraction(score["points"])
    return _level(indicator, score["level_value"])


def self_points(indicator: RowMapping, row: RowMapping | None) -> tuple[Fraction | None, str | None]:
    """The agency's self-evaluation in points, or why it gives none."""
    if row is None:
        return None, NO_SELF
    if indicator["measure"] == "qualitative":
        points = _level(indicator, row["level_value"])
        if points is None:
            return None, (SELF_NA if row["level_value"] is None else UNSCORABLE)
        return Q(points), None
    points = self_value_points(
        indicator["weight"],
        row["value"],
        baseline=indicator["baseline"],
        target=indicator["target_value"],
        ascending=bool(indicator["ascending"]),
    )
    return (None, NO_ACHIEVEMENT) if points is None else (Q(points), None)


@dataclass
class Group:
    """One rater type's counted scores of one indicator of one target: exact sums and how many."""

    n: int = 0
    points_sum: Decimal = Decimal(0)
    level_sum: Decimal | None = None


# Sums of NUMERIC(20,6) points and NUMERIC(12,4) rubric values stay exact far below 60 digits.
EXACT = Context(prec=60, traps=[Inexact])

Share = tuple[int, int, int, int, float | None]
"""(round, target, indicator, rater, points as a share of the weight): one rating for the reliability."""


class CycleData:
    """The rows of one cycle (or one target), indexed for the per-target work."""

    def __init__(
        self,
        targets: Sequence[RowMapping],
        indicators: Sequence[RowMapping],
        self_scores: Sequence[RowMapping],
        counted: Sequence[Any],
        scores: Sequence[RowMapping],
    ) -> None:
        self.targets = targets
        self.indicators = indicators
        self.common = [row for row in indicators if row["target_id"] is None]
        self.specific: dict[int, list[RowMapping]] = defaultdict(list)
        for row in indicators:
            if row["target_id"] is not None:
                self.specific[row["target_id"]].append(row)
        self.by_id = {row["id"]: row for row in indicators}
        self.self_scores = {(row["target_id"], row["indicator_id"]): row for row in self_scores}
        self.groups: dict[tuple[int, int], dict[str, Group]] = defaultdict(dict)
        self.shares: list[Share] = []
        with localcontext(EXACT):
            for round_, target_id, indicator_id, member_id, rater_type, points, level_value, share in counted:
                self.shares.append((round_, target_id, indicator_id, member_id, share))
                if points is None and level_value is None:
                    continue  # an N/A level: no score
                by_type = self.groups[(target_id, indicator_id)]
                group = by_type.get(rater_type) or by_type.setdefault(rater_type, Group())
                group.n += 1
                if points is not None:
                    group.points_sum += points
                else:
                    group.level_sum = (group.level_sum or Decimal(0)) + level_value
        self.scores: dict[tuple[int, int], list[RowMapping]] = defaultdict(list)
        for row in scores:
            self.scores[(row["target_id"], row["indicator_id"])].append(row)

    def shares_of(self, round: int) -> tuple[Share, ...]:
        return tuple(share for share in self.shares if share[0] == round)

    def indicators_of(self, target_id: int) -> list[RowMapping]:
        return self.common + self.specific.get(target_id, [])


def group_mean(indicator: RowMapping, group: Group | None) -> TypeMean:
    """A rater type's mean points from its group's exact sums: Σ points / n, or weight × Σ values / (best × n)
    for rubric levels (the mean of weight × value / best)."""
    if group is None or not group.n:
        return TypeMean(None, 0)
    total = Q(group.points_sum)
    if group.level_sum is not None:
        if not scorable(indicator):
            return TypeMean(None, 0)
        total += indicator["weight"] * Q(group.level_sum) / Q(indicator["best_value"])
    return TypeMean(total / group.n, group.n)


def _differences(values: Mapping[str, Fraction | None]) -> schemas.Differences:
    return schemas.Differences(**{name: display(values[name]) for name in schemas.Differences.model_fields})


def _type_score(value: TypeMean) -> schemas.TypeScore:
    return schemas.TypeScore(points=display(value.points), n=value.n)


def _score_out(indicator: RowMapping, row: RowMapping) -> schemas.ScoreOut:
    return schemas.ScoreOut(
        panel_member_id=row["panel_member_id"],
        rater_name_ko=row["rater_name_ko"],
        rater_type=row["rater_type"],
        points_given=display(None if row["points"] is None else Fraction(row["points"])),
        level=row["level"],
        level_label_ko=row["level_label_ko"],
        not_applicable=bool(row["not_applicable"]),
        points=display(score_points(indicator, row)),
        submitted_at=row["submitted_at"],
    )


def _compare(
    data: CycleData, target: RowMapping
) -> tuple[list[RowMapping], list[str | None], TargetComparison]:
    indicators = data.indicators_of(target["id"])
    inputs, notes = [], []
    for indicator in indicators:
        key = (target["id"], indicator["id"])
        own, note = self_points(indicator, data.self_scores.get(key))
        groups = data.groups.get(key, {})
        panel = {name: group_mean(indicator, groups.get(name)) for name in ("official", "expert")}
        inputs.append(IndicatorScores(indicator["id"], indicator["weight"], own, panel))
        notes.append(note)
    return indicators, notes, compare_target(inputs)


def _totals(compared: TargetComparison) -> dict[RaterTypeName, schemas.Total]:
    totals = compared.totals
    return {
        name: schemas.Total(points=display(totals[name].points), counted_weight=totals[name].counted_weight)
        for name in ("self", "official", "expert")
    }


def target_comparison(
    data: CycleData, target: RowMapping, *, with_scores: bool = False
) -> schemas.TargetComparisonOut:
    indicators, notes, compared = _compare(data, target)
    rows = []
    for indicator, item, note in zip(indicators, compared.indicators, notes, strict=True):
        scores = None
        if with_scores:
            counted = data.scores.get((target["id"], indicator["id"]), [])
            ordered = sorted(counted, key=lambda row: row["panel_member_id"])
            scores = [_score_out(indicator, row) for row in ordered]
        rows.append(
            schemas.IndicatorComparisonOut(
                indicator_id=indicator["id"],
                name_ko=indicator["name_ko"],
                scope="common" if indicator["target_id"] is None else "specific",
                measure=indicator["measure"],
                weight=indicator["weight"],
                by_rater_type={name: _type_score(value) for name, value in item.by_type.items()},
                differences=_differences(item.differences),
                self_points_note=note,
                scores=scores,
            )
        )
    return schemas.TargetComparisonOut(
        target_id=target["id"],
        cycle_id=target["cycle_id"],
        organization_id=target["organization_id"],
        district_code=target["district_code"],
        round=target["round"],
        review_version=target["review_version"],
        indicators=rows,
        totals=_totals(compared),
        differences=_differences(compared.differences),
    )


# The same ratings give the same reliability: its libraries cost more than the rest of a cycle's comparison,
# and a panel's ratings change rarely once submitted, so the last answers are kept by their exact input.
@lru_cache(maxsize=16)
def _reliability(shares: tuple[Share, ...], round: int) -> schemas.RoundReliability:
    ratings: dict[Hashable, dict[Hashable, Fraction | float | None]] = defaultdict(dict)
    for _, target_id, indicator_id, member_id, share in shares:
        ratings[(target_id, indicator_id)][member_id] = share
    found = reliability(ratings)
    return schemas.RoundReliability(
        round=round,
        raters=found.raters,
        units=found.units,
        alpha_interval=found.alpha_interval,
        icc_units=found.icc_units,
        icc=[
            schemas.IccOut(
                type=icc.type,
                shrout_fleiss=icc.shrout_fleiss,
                value=icc.value,
                ci95=list(icc.ci95) if icc.ci95 else None,
            )
            for icc in found.icc
        ],
    )


def cycle_comparison(
    data: CycleData,
    *,
    cycle_id: int,
    round: int | None,
) -> schemas.CycleComparisonOut:
    rows, compared = [], []
    for target in data.targets:
        _, _, result = _compare(data, target)
        compared.append(result)
        rows.append(
            schemas.CycleTargetRow(
                target_id=target["id"],
                organization_id=target["organization_id"],
                district_code=target["district_code"],
                round=target["round"],
                review_version=target["review_version"],
                totals=_totals(result),
                differences=_differences(result.differences),
            )
        )
    cycle = compare_cycle(compared)
    indicators = []
    for indicator_id, by_type in sorted(cycle.indicators.items()):
        indicator = data.by_id[indicator_id]
        indicators.append(
            schemas.CycleIndicatorRow(
                indicator_id=indicator_id,
                name_ko=indicator["name_ko"],
                scope="common" if indicator["target_id"] is None else "specific",
                weight=indicator["weight"],
                by_rater_type={name: _type_score(by_type[name]) for name in RATER_TYPES},
            )
        )
    rounds = [round] if round is not None else sorted({target["round"] for target in data.targets})
    return schemas.CycleComparisonOut(
        cycle_id=cycle_id,
        round=round,
        targets=rows,
        totals={name: _type_score(cycle.totals[name]) for name in RATER_TYPES},
        differences={pair_name(*pair): _type_score(cycle.differences[pair_name(*pair)]) for pair in PAIRS},
        indicators=indicators,
        self_lowest=cycle.self_lowest,
        reliability=[
            _reliability(tuple(share for share in data.shares if share[0] == number), number)
            for number in rounds
        ],
    )
