"""The 2017 Civic Cooperation Platforms' evaluation as data (seed 004): the cycle, both rounds' schedule, the
rubric, the common and specific indicators, the panel and its declared tie, the appeal, the bands, and the
seeded scores. `ops.demo_evaluation` loads it through the API; the evaluation tests build their cycles from
the same schedule and rubric.
"""

import csv
import random
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol


class Scored(Protocol):
    """What a seeded score needs of a target: its district."""

    @property
    def district_code(self) -> str: ...


CYCLE = {"programme": "civic_platform", "name_ko": "2017 시민협력플랫폼 1차년도 성과평가", "year": 2017}
SOURCE = "seed 004 (2017-06), 시민협력플랫폼 성과평가 추진 일정(안); data/seoul_2017/civic_platforms.csv"
# Seed 004's schedule: one date range for step V (interviews and notification), one for step VI (appeal,
# re-review, confirmation).
SCHEDULE_2017: dict[int, dict[str, tuple[str, str]]] = {
    1: {
        "report_submission": ("2017-08-25", "2017-08-31"),
        "quantitative_measurement": ("2017-09-01", "2017-09-11"),
        "qualitative_interviews": ("2017-09-12", "2017-09-22"),
        "notification": ("2017-09-12", "2017-09-22"),
        "appeal": ("2017-09-23", "2017-09-28"),
        "re_review": ("2017-09-23", "2017-09-28"),
        "confirmation": ("2017-09-23", "2017-09-28"),
    },
    2: {
        "report_submission": ("2017-09-25", "2017-09-30"),
        "quantitative_measurement": ("2017-10-01", "2017-10-11"),
        "qualitative_interviews": ("2017-10-12", "2017-10-22"),
        "notification": ("2017-10-12", "2017-10-22"),
        "appeal": ("2017-10-23", "2017-10-28"),
        "re_review": ("2017-10-23", "2017-10-28"),
        "confirmation": ("2017-10-23", "2017-10-28"),
    },
}
RUBRIC = {
    "name_ko": "5단계 평가척도",
    "levels": [
        {"label_ko": "매우 우수", "value": 5},
        {"label_ko": "우수", "value": 4},
        {"label_ko": "보통", "value": 3},
        {"label_ko": "미흡", "value": 2},
        {"label_ko": "매우 미흡", "value": 1},
        {"label_ko": "해당 없음", "not_applicable": True},
    ],
}
# Common (공통) 60 points; each target's own (개별) 40: 100 in all. The seed names no indicators; these are
# examples in its spirit, for a city officer to correct.
COMMON: list[dict[str, Any]] = [
    {"name_ko": "공론장 운영 횟수", "measure": "unit", "weight": 20, "baseline": 4, "target": 12},
    {"name_ko": "네트워크 참여 단체 수", "measure": "unit", "weight": 15, "baseline": 5, "target": 15},
    {"name_ko": "시민 참여 인원 증가율", "measure": "percentage", "weight": 10, "baseline": 0, "target": 30},
    {"name_ko": "협치 거버넌스 운영의 민주성", "measure": "qualitative", "weight": 15},
]


def specific(district: str) -> list[dict[str, Any]]:
    return [
        {"name_ko": f"{district} 의제 사업 추진 실적", "measure": "qualitative", "weight": 25},
        {"name_ko": "청년활동가 활동 지원 건수", "measure": "unit", "weight": 15, "baseline": 0, "target": 6},
    ]


# 8 raters (seed 004: 평가단 8명 내외): officials rate with a city officer's token, experts as evaluators.
PANEL = [
    ("official-kang", "강서윤", "official"),
    ("official-lee", "이도현", "official"),
    ("official-park", "박지민", "official"),
    ("official-choi", "최하은", "official"),
    ("expert-kim", "김평가", "expert"),
    ("expert-jung", "정민호", "expert"),
    ("expert-yoon", "윤소라", "expert"),
    ("expert-han", "한지우", "expert"),
]
TIED_RATER, TIED_DISTRICT, TIED_MEMBER = "expert-kim", "11380", "(사)은평상상"
APPEALING_DISTRICT = "11380"  # 은평구, round 1
APPEAL_REASON = "정량지표 실적 집계에서 3분기 공론장 2회가 빠졌습니다. 재심의를 요청합니다."
BANDS = [
    {"min_total": 90, "category": "continue_with_increase"},
    {"min_total": 70, "category": "continue"},
    {"min_total": 60, "category": "reduce"},
    {"min_total": 0, "category": "stop"},
]


def platform_rows(base: Path) -> list[dict[str, str]]:
    with (base / "data" / "seoul_2017" / "civic_platforms.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# The seeded scores: a target's quality (0..1) is drawn once per district; each rater's score of an indicator
# adds its own noise, experts a little stricter; the agency claims a little less than the panel sees (seed 001
# found the self scores lowest). String seeds make every run draw the same.
def quality(target: Scored) -> float:
    return random.Random(f"quality|{target.district_code}").uniform(0.6, 0.95)  # noqa: S311 - demo data


def share_of(target: Scored, who: str, indicator: dict[str, Any], version: int) -> float:
    rng = random.Random(f"{target.district_code}|{who}|{indicator['name_ko']}|v{version}")  # noqa: S311
    bias = {"expert": -0.03, "self": -0.08}.get(who.split("-")[0], 0.0)
    if version == 2 and indicator["name_ko"] == "공론장 운영 횟수":
        bias += 0.1  # the appeal's two missing forums, counted at the re-review
    return min(1.0, max(0.0, quality(target) + bias + rng.gauss(0, 0.07)))


def rubric_level(share: float) -> int:
    """Rubric position, 1 = 매우 우수 (5) … 5 = 매우 미흡 (1)."""
    return 6 - min(5, max(1, round(share * 5)))


def rater_score(target: Scored, subject: str, indicator: dict[str, Any], version: int) -> dict[str, Any]:
    share = share_of(target, subject, indicator, version)
    if indicator["measure"] == "qualitative":
        return {"level": rubric_level(share)}
    return {"points": str(Decimal(round(share * indicator["weight"] * 2)) / 2)}


def measured_value(indicator: dict[str, Any], share: float) -> str:
    baseline, goal = Decimal(indicator["baseline"]), Decimal(indicator["target"])
    return str((baseline + (goal - baseline) * Decimal(str(round(share, 2)))).quantize(Decimal(1)))


def self_score(target: Scored, indicator: dict[str, Any]) -> dict[str, Any]:
    share = share_of(target, "self", indicator, 1)
    if indicator["measure"] == "qualitative":
        return {"level": rubric_level(share)}
    return {"value": measured_value(indicator, share)}
