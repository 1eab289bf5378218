"""Who decides a change of a running project's budget (DOMAIN.md §2, seed 002): exact integer arithmetic only.

Seed 002: "10% 이내 변경은 자치구협치회의 결정으로 변경하며 10%이상이나 예산전용경우만 서울시 사전 협의 및
승인이 필요함". Both tests are made against the budget at the last city approval (the project's creation,
or the last amendment the city approved), so they are cumulative: two changes of 6 % each are 12 % at the
second, and a line raised by one change and another lowered by the next is a transfer at the second.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Route = Literal["council", "city"]


@dataclass(frozen=True, slots=True)
class Routing:
    route: Route
    transfer: bool
    """Some line above its approved amount while another is below it (전용)."""
    change_krw: int
    """The budget after the change minus the budget at the last city approval."""
    baseline_krw: int

    @property
    def change_ratio(self) -> Fraction:
        return Fraction(abs(self.change_krw), self.baseline_krw)


def under_ten_percent(change_krw: int, baseline_krw: int) -> bool:
    """|Δ| < 10 % of the baseline, as 10 × |Δ| < baseline: no division, no rounding."""
    if baseline_krw <= 0:
        raise ValueError("a baseline budget is positive")
    return 10 * abs(change_krw) < baseline_krw


def route(approved: Mapping[int, int], proposed: Mapping[int, int]) -> Routing:
    """Route the line amounts `proposed` against those of the last city approval, `approved`.

    Keys are lines; a line missing from `approved` is new (approved at 0), one missing from `proposed`
    keeps its approved amount.
    """
    keys = set(approved) | set(proposed)
    deltas = [proposed.get(key, approved.get(key, 0)) - approved.get(key, 0) for key in keys]
    transfer = any(d > 0 for d in deltas) and any(d < 0 for d in deltas)
    baseline = sum(approved.values())
    change = sum(deltas)
    council = not transfer and under_ten_percent(change, baseline)
    return Routing(
        route="council" if council else "city", transfer=transfer, change_krw=change, baseline_krw=baseline
    )
