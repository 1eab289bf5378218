"""Comparison by rater type, reliability, and the exports: reads only, in exact arithmetic."""

from datetime import datetime
from fractions import Fraction

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.comparison import repository, schemas
from services.evaluation.comparison.build import CycleData, cycle_comparison, display, target_comparison
from services.evaluation.comparison.cache import VersionedCache
from services.evaluation.comparison.points import level_points
from services.evaluation.cycles import service as cycles
from services.evaluation.targets import service as targets
from shared.csv_export import csv_text
from shared.seoul import SEOUL


async def compare_target(
    session: AsyncSession, *, target_id: int, with_scores: bool = False
) -> schemas.TargetComparisonOut:
    target = await targets.get_target(session, target_id)
    rows = await repository.cycle_data(
        session, cycle_id=target.cycle_id, target_id=target.id, with_scores=with_scores
    )
    return await anyio.to_thread.run_sync(lambda: _target(CycleData(*rows), with_scores))


def _target(data: CycleData, with_scores: bool) -> schemas.TargetComparisonOut:
    return target_comparison(data, data.targets[0], with_scores=with_scores)


# A cycle's comparison reads 7,500 scores for 25 targets × 30 indicators × 10 raters and does exact arithmetic
# over them; unchanged data gives the same answer, so the last few are kept by data version (cache.py).
ANSWERS: VersionedCache[schemas.CycleComparisonOut] = VersionedCache(size=32)


async def compare_cycle(
    session: AsyncSession, *, cycle_id: int, round: int | None
) -> schemas.CycleComparisonOut:
    await cycles.get_cycle(session, cycle_id)
    before = await repository.data_version(session, cycle_id)
    kept = ANSWERS.get((cycle_id, round), before)
    if kept is not None:
        return kept
    rows = await repository.cycle_data(session, cycle_id=cycle_id, round=round)
    answer = await anyio.to_thread.run_sync(
        lambda: cycle_comparison(CycleData(*rows), cycle_id=cycle_id, round=round)
    )
    ANSWERS.keep((cycle_id, round), before, await repository.data_version(session, cycle_id), answer)
    return answer


SCORES_HEADER = [
    "점수 id",
    "대상 id",
    "단체 id",
    "자치구코드",
    "차수",
    "심사 회차",
    "현행 회차",
    "지표 id",
    "지표명",
    "구분",
    "측정유형",
    "배점",
    "평가위원 id",
    "평가위원",
    "위원 구분",
    "부여 점수",
    "척도 단계",
    "척도 단계명",
    "해당 없음",
    "환산 점수",
    "제척·기피·회피",
    "제출 시각",
]
RATER_TYPE_KO = {"official": "공무원", "expert": "전문가"}


async def scores_csv(session: AsyncSession, *, cycle_id: int) -> str:
    """Every submitted score of the cycle, every review version; whether it counts shows in its columns."""
    await cycles.get_cycle(session, cycle_id)
    rows = []
    for row in await repository.export_scores(session, cycle_id=cycle_id):
        if row["points"] is not None:
            points: Fraction | None = Fraction(row["points"])
        elif row["level_value"] is None or row["best_value"] is None or row["best_value"] <= 0:
            points = None
        else:
            points = level_points(row["weight"], row["level_value"], row["best_value"])
        rows.append(
            [
                row["id"],
                row["target_id"],
                row["organization_id"],
                row["district_code"],
                row["round"],
                row["version"],
                "Y" if row["current_version"] else "N",
                row["indicator_id"],
                row["indicator_name_ko"],
                "공통" if row["indicator_target_id"] is None else "개별",
                row["measure"],
                row["weight"],
                row["panel_member_id"],
                row["rater_name_ko"],
                RATER_TYPE_KO.get(row["rater_type"], row["rater_type"]),
                display(None if row["points"] is None else Fraction(row["points"])),
                row["level"],
                row["level_label_ko"],
                "Y" if row["not_applicable"] else "",
                display(points),
                "Y" if row["recused"] else "",
                _seoul(row["submitted_at"]),
            ]
        )
    return csv_text(SCORES_HEADER, rows)


RESULTS_HEADER = [
    "결과 id",
    "대상 id",
    "단체 id",
    "자치구코드",
    "차수",
    "심사 회차",
    "상태",
    "총점",
    "총점(표시)",
    "등급",
    "등급 결정",
    "사유",
    "산출 시각",
    "통보 시각",
    "확정 시각",
    "공개 시각",
]


def _seoul(moment: datetime | None) -> str | None:
    return moment.astimezone(SEOUL).isoformat() if moment else None


async def results_csv(session: AsyncSession, *, cycle_id: int) -> str:
    """Every result of the cycle, every review version and status, with its exact total and its category."""
    await cycles.get_cycle(session, cycle_id)
    rows = [
        [
            row["id"],
            row["target_id"],
            row["organization_id"],
            row["district_code"],
            row["round"],
            row["review_version"],
            row["status"],
            row["total"],
            row["total_display"],
            row["category"],
            row["category_source"],
            row["category_reason"],
            _seoul(row["computed_at"]),
            _seoul(row["notified_at"]),
            _seoul(row["confirmed_at"]),
            _seoul(row["published_at"]),
        ]
        for row in await repository.export_results(session, cycle_id=cycle_id)
    ]
    return csv_text(RESULTS_HEADER, rows)
