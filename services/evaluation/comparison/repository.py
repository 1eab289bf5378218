"""Reads for the comparison and the exports: plain SQL, a handful of queries per cycle whatever its size.

Only submitted scores of each target's current review version count, of active panel members, and none of a
rater with an upheld recusal (제척, 기피 or 회피) for that target: a recusal decided after the sheet was
submitted takes it out (the results count the same scores).
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.comparison.cache import DataVersion

TARGETS = text(
    """
    SELECT id, cycle_id, organization_id, district_code, round, review_version
    FROM evaluation.targets
    WHERE cycle_id = :cycle_id AND (CAST(:target_id AS integer) IS NULL OR id = :target_id)
      AND (CAST(:round AS smallint) IS NULL OR round = :round)
    ORDER BY id
    """
)

INDICATORS = text(
    """
    SELECT i.id, i.target_id, i.name_ko, i.measure, i.ascending, i.weight, i.baseline, i.target_value,
           i.rubric_id, best.value AS best_value
    FROM evaluation.indicators i
    LEFT JOIN LATERAL (
        SELECT max(l.value) AS value FROM evaluation.rubric_levels l
        WHERE l.scale_id = i.rubric_id AND NOT l.not_applicable
    ) best ON true
    WHERE i.cycle_id = :cycle_id
      AND (CAST(:target_id AS integer) IS NULL OR i.target_id IS NULL OR i.target_id = :target_id)
    ORDER BY i.target_id NULLS FIRST, i.id
    """
)

SELF_SCORES = text(
    """
    SELECT s.target_id, s.indicator_id, s.value, l.value AS level_value, l.not_applicable
    FROM evaluation.self_scores s
    JOIN evaluation.targets t ON t.id = s.target_id
    LEFT JOIN evaluation.rubric_levels l ON l.id = s.rubric_level_id
    WHERE t.cycle_id = :cycle_id AND (CAST(:target_id AS integer) IS NULL OR t.id = :target_id)
      AND (CAST(:round AS smallint) IS NULL OR t.round = :round)
    """
)

# The counted scores: submitted, of the target's current review version, of a rater not recused from it.
SCORES = text(
    """
    SELECT s.target_id, s.indicator_id, s.panel_member_id, m.rater_type, m.name_ko AS rater_name_ko, s.points,
           l.position AS level, l.label_ko AS level_label_ko, l.value AS level_value, l.not_applicable,
           s.submitted_at
    FROM evaluation.scores s
    JOIN evaluation.targets t ON t.id = s.target_id AND s.version = t.review_version
    JOIN evaluation.panel_members m ON m.id = s.panel_member_id AND m.active
    LEFT JOIN evaluation.rubric_levels l ON l.id = s.rubric_level_id
    WHERE t.cycle_id = :cycle_id AND (CAST(:target_id AS integer) IS NULL OR t.id = :target_id)
      AND (CAST(:round AS smallint) IS NULL OR t.round = :round)
      AND s.status = 'submitted'
      AND NOT EXISTS (
          SELECT 1 FROM evaluation.recusals r
          WHERE r.panel_member_id = s.panel_member_id AND r.target_id = s.target_id AND r.status = 'upheld'
      )
    """
)

# The same scores, one row each, lean: what the sums per rater type and the reliability need. `share` is the
# score as a share of the indicator's weight in floating point, the reliability libraries' input.
COUNTED = text(
    """
    SELECT t.round, s.target_id, s.indicator_id, s.panel_member_id, m.rater_type, s.points,
           l.value AS level_value,
           CAST(coalesce(s.points / i.weight, l.value / nullif(greatest(best.value, 0), 0))
                AS float8) AS share
    FROM evaluation.scores s
    JOIN evaluation.targets t ON t.id = s.target_id AND s.version = t.review_version
    JOIN evaluation.panel_members m ON m.id = s.panel_member_id AND m.active
    JOIN evaluation.indicators i ON i.id = s.indicator_id
    LEFT JOIN evaluation.rubric_levels l ON l.id = s.rubric_level_id
    LEFT JOIN (
        SELECT scale_id, max(value) AS value FROM evaluation.rubric_levels
        WHERE NOT not_applicable GROUP BY scale_id
    ) best ON best.scale_id = i.rubric_id
    WHERE t.cycle_id = :cycle_id AND (CAST(:target_id AS integer) IS NULL OR t.id = :target_id)
      AND (CAST(:round AS smallint) IS NULL OR t.round = :round)
      AND s.status = 'submitted'
      AND NOT EXISTS (
          SELECT 1 FROM evaluation.recusals r
          WHERE r.panel_member_id = s.panel_member_id AND r.target_id = s.target_id AND r.status = 'upheld'
      )
    """
)

# Every submitted score of a cycle, every version, for the CSV export (whether it counts is a column).
EXPORT_SCORES = text(
    """
    SELECT s.id, t.id AS target_id, t.organization_id, t.district_code, t.round, s.version,
           s.version = t.review_version AS current_version,
           i.id AS indicator_id, i.name_ko AS indicator_name_ko, i.target_id AS indicator_target_id,
           i.measure, i.weight, best.value AS best_value,
           m.id AS panel_member_id, m.name_ko AS rater_name_ko, m.rater_type,
           s.points, l.position AS level, l.label_ko AS level_label_ko, l.value AS level_value,
           l.not_applicable,
           EXISTS (
               SELECT 1 FROM evaluation.recusals r
               WHERE r.panel_member_id = s.panel_member_id AND r.target_id = s.target_id
                 AND r.status = 'upheld'
           ) AS recused,
           s.submitted_at
    FROM evaluation.scores s
    JOIN evaluation.targets t ON t.id = s.target_id
    JOIN evaluation.indicators i ON i.id = s.indicator_id
    JOIN evaluation.panel_members m ON m.id = s.panel_member_id
    LEFT JOIN evaluation.rubric_levels l ON l.id = s.rubric_level_id
    LEFT JOIN (
        SELECT scale_id, max(value) AS value FROM evaluation.rubric_levels
        WHERE NOT not_applicable GROUP BY scale_id
    ) best ON best.scale_id = i.rubric_id
    WHERE t.cycle_id = :cycle_id AND s.status = 'submitted'
    ORDER BY t.id, s.version, i.target_id NULLS FIRST, i.id, m.id
    """
)


# Every result of a cycle, every review version, as the results lane stores them (migration 0006).
EXPORT_RESULTS = text(
    """
    SELECT r.id, t.id AS target_id, t.organization_id, t.district_code, t.round, r.review_version, r.status,
           r.total, r.total_display, r.category, r.category_source, r.category_reason,
           r.computed_at, r.notified_at, r.confirmed_at, r.published_at
    FROM evaluation.results r
    JOIN evaluation.targets t ON t.id = r.target_id
    WHERE t.cycle_id = :cycle_id
    ORDER BY t.id, r.review_version, r.id
    """
)


# The cycle's data version this statement's snapshot sees (see cache.py; 0 before its first change), and
# whether this transaction has written anything: its own writes are bumped only at commit and may yet roll
# back, so such a transaction neither reuses nor keeps an answer (a GET's transaction never has).
DATA_VERSION = text(
    "SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS wrote, coalesce("
    "(SELECT version FROM evaluation.cycle_data_versions WHERE cycle_id = :cycle_id), 0) AS version"
)


async def data_version(session: AsyncSession, cycle_id: int) -> DataVersion | None:
    """The cycle's data version, or None when this transaction has written (no answer may be kept)."""
    row = (await session.execute(DATA_VERSION, {"cycle_id": cycle_id})).one()
    return None if row.wrote else int(row.version)


async def _rows(session: AsyncSession, query: Any, **params: int | None) -> Sequence[RowMapping]:
    return (await session.execute(query, params)).mappings().all()


async def cycle_data(
    session: AsyncSession,
    *,
    cycle_id: int,
    round: int | None = None,
    target_id: int | None = None,
    with_scores: bool = False,
) -> tuple[Sequence[Any], ...]:
    """Targets, indicators (with their rubric's best value), self-evaluations, the counted scores (lean
    tuples) and, with_scores, the counted scores with their raters' names and levels' labels."""
    scope = {"cycle_id": cycle_id, "target_id": target_id, "round": round}
    targets = await _rows(session, TARGETS, **scope)
    indicators = await _rows(session, INDICATORS, cycle_id=cycle_id, target_id=target_id)
    self_scores = await _rows(session, SELF_SCORES, **scope)
    counted = (await session.execute(COUNTED, scope)).all()
    scores = await _rows(session, SCORES, **scope) if with_scores else []
    return targets, indicators, self_scores, counted, scores


async def export_results(session: AsyncSession, *, cycle_id: int) -> Sequence[RowMapping]:
    return await _rows(session, EXPORT_RESULTS, cycle_id=cycle_id)


async def export_scores(session: AsyncSession, *, cycle_id: int) -> Sequence[RowMapping]:
    return await _rows(session, EXPORT_SCORES, cycle_id=cycle_id)
