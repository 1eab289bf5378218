"""The comparison's gmpy2 arithmetic gives exactly the answers of `fractions.Fraction`, on seeded random
cycles with every kind of input: points of up to 6 decimals, rubric levels over fractional and non-positive
best values, N/A answers, missing self-evaluations, descending and wrong-sided quantitative indicators."""

import random
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from gmpy2 import mpq

from services.evaluation.comparison import build, schemas
from services.evaluation.comparison.build import CycleData, cycle_comparison, target_comparison


def _decimal(rng: random.Random, high: int, places: int) -> Decimal:
    return Decimal(rng.randrange(0, high * 10**places + 1)).scaleb(-places)


def _cycle(seed: int) -> tuple[list[Any], ...]:
    rng = random.Random(seed)
    targets = [
        {"id": t, "cycle_id": 1, "organization_id": 100 + t, "district_code": "11380", "round": 1 + t % 2,
         "review_version": 1}
        for t in range(1, 7)
    ]  # fmt: skip
    indicators: list[dict[str, Any]] = []
    for number in range(1, 30):
        target_id = None if number <= 6 else rng.choice(targets)["id"]
        qualitative = rng.random() < 0.5
        best = rng.choice([Decimal(5), Decimal("4.5"), Decimal("2.25"), Decimal(0)]) if qualitative else None
        baseline = None if qualitative or rng.random() < 0.15 else _decimal(rng, 20, 2)
        goal = None if baseline is None else baseline + rng.choice([-1, 0, 1]) * _decimal(rng, 15, 1)
        indicators.append(
            {"id": number, "target_id": target_id, "name_ko": f"지표 {number}",
             "measure": "qualitative" if qualitative else rng.choice(["unit", "percentage"]),
             "ascending": None if qualitative else rng.random() < 0.7, "weight": rng.randint(1, 40),
             "baseline": baseline, "target_value": goal, "rubric_id": 1 if qualitative else None,
             "best_value": best}
        )  # fmt: skip
    self_scores, counted, scores = [], [], []
    for target in targets:
        mine = [i for i in indicators if i["target_id"] in (None, target["id"])]
        for indicator in mine:
            qualitative = indicator["measure"] == "qualitative"
            if rng.random() < 0.9:
                level = None if rng.random() < 0.1 else _decimal(rng, 5, 1)
                self_scores.append(
                    {"target_id": target["id"], "indicator_id": indicator["id"],
                     "value": None if qualitative else _decimal(rng, 40, 3),
                     "level_value": level if qualitative else None,
                     "not_applicable": qualitative and level is None}
                )  # fmt: skip
            for member in range(1, rng.randint(2, 9)):
                rater_type = "official" if member % 3 else "expert"
                na = qualitative and rng.random() < 0.08
                points = None if qualitative else _decimal(rng, indicator["weight"], 6)
                level_value = None if not qualitative or na else _decimal(rng, 5, 2)
                share = None if na else rng.random()
                counted.append(
                    (
                        target["round"],
                        target["id"],
                        indicator["id"],
                        member,
                        rater_type,
                        points,
                        level_value,
                        share,
                    )
                )
                scores.append(
                    {"target_id": target["id"], "indicator_id": indicator["id"], "panel_member_id": member,
                     "rater_type": rater_type, "rater_name_ko": f"위원 {member}", "points": points,
                     "level": None if level_value is None else 2, "level_label_ko": None,
                     "level_value": level_value, "not_applicable": na,
                     "submitted_at": datetime(2017, 9, 15, tzinfo=UTC)}
                )  # fmt: skip
    return targets, indicators, self_scores, counted, scores


def _answers(seed: int) -> list[dict[str, Any]]:
    data = CycleData(*_cycle(seed))
    answers = [cycle_comparison(data, cycle_id=1, round=r).model_dump() for r in (None, 1, 2)]
    answers += [target_comparison(data, t, with_scores=True).model_dump() for t in data.targets]
    return answers


def _no_reliability(shares: Any, round: int) -> schemas.RoundReliability:
    return schemas.RoundReliability(round=round, raters=0, units=0, alpha_interval=None, icc_units=0, icc=[])


@pytest.mark.parametrize("seed", range(8))
def test_gmpy2_answers_equal_fraction_answers(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "_reliability", _no_reliability)  # the libraries' part: no rationals in it
    fast = _answers(seed)
    monkeypatch.setattr(build, "Q", Fraction)
    reference = _answers(seed)
    assert fast == reference
    assert any(row["totals"]["self"]["points"] for row in reference[0]["targets"])


def test_the_service_path_computes_in_mpq() -> None:
    indicator = {"weight": 30, "best_value": Decimal("4.5")}
    group = build.Group(n=3, points_sum=Decimal("1.5"), level_sum=Decimal("7.25"))
    mean = build.group_mean(indicator, group)  # type: ignore[arg-type]
    assert isinstance(mean.points, type(mpq(1)))
    assert mean.points == (Fraction("1.5") + 30 * Fraction("7.25") / Fraction("4.5")) / 3
    assert build.display(mean.points) == build.display(
        Fraction(mean.points.numerator, mean.points.denominator)
    )
