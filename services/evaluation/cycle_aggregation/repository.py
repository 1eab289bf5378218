"""A cycle's counted scores for its aggregation: one statement for every target, whatever the cycle's size.

The same scores as a target's result counts (results/repository.py SCORES): submitted, of the target's current
review version, of active panel members, none of a rater with an upheld recusal for the target; each indicator
with its rubric's highest value (N/A level included, as there). Numbers leave the database as integers on a
fixed scale (points × 10⁶ of NUMERIC(20,6), rubric values × 10⁴ of NUMERIC(12,4)), gathered per target and
indicator into one array (750 rows for 7,500 scores), so the arithmetic is on small lists of integers. One
statement: the targets and their scores come from one snapshot.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

POINTS_SCALE = 10**6  # scores.points is NUMERIC(20,6)
VALUE_SCALE = 10**4  # rubric_levels.value is NUMERIC(12,4)

CYCLE_SCORES = text(
    """
    WITH ind AS (
        SELECT i.id, i.target_id, i.weight, i.measure = 'qualitative' AS qualitative,
               CAST((SELECT max(m.value) FROM evaluation.rubric_levels m WHERE m.scale_id = i.rubric_id)
                    * 10000 AS bigint) AS max_value
        FROM evaluation.indicators i
        WHERE i.cycle_id = :cycle_id
    )
    SELECT t.id AS target_id, t.organization_id, t.district_code, t.round, t.review_version,
           t.opened_at IS NOT NULL AS open,
           ind.id AS indicator_id, ind.weight, ind.qualitative, ind.max_value,
           coalesce(array_agg(
               CASE WHEN ind.qualitative THEN CAST(l.value * 10000 AS bigint)
                    ELSE CAST(s.points * 1000000 AS bigint) END
           ) FILTER (WHERE CASE WHEN ind.qualitative THEN NOT l.not_applicable AND l.value IS NOT NULL
                                ELSE s.points IS NOT NULL END), '{}') AS scores,
           coalesce(bool_or(
               ind.qualitative AND NOT l.not_applicable AND l.value IS NOT NULL
               AND (ind.max_value IS NULL OR ind.max_value <= 0 OR l.value < 0)
           ), false) AS unscorable
    FROM evaluation.targets t
    LEFT JOIN ind ON t.opened_at IS NOT NULL AND (ind.target_id IS NULL OR ind.target_id = t.id)
    LEFT JOIN (
        evaluation.scores s JOIN evaluation.panel_members p ON p.id = s.panel_member_id AND p.active
    ) ON s.target_id = t.id AND s.indicator_id = ind.id AND s.version = t.review_version
         AND s.status = 'submitted'
         AND NOT EXISTS (
             SELECT 1 FROM evaluation.recusals r
             WHERE r.panel_member_id = s.panel_member_id AND r.target_id = s.target_id AND r.status = 'upheld'
         )
    LEFT JOIN evaluation.rubric_levels l ON l.id = s.rubric_level_id
    WHERE t.cycle_id = :cycle_id AND (CAST(:round AS smallint) IS NULL OR t.round = :round)
    GROUP BY t.id, ind.id, ind.weight, ind.qualitative, ind.max_value
    ORDER BY t.id, ind.id
    """
)


async def cycle_scores(session: AsyncSession, *, cycle_id: int, round: int | None) -> Sequence[Row[Any]]:
    """One row per target and indicator (an unopened target: one row without an indicator), ordered by both:
    its counted scores on the indicator's scale (N/A answers left out) and whether its rubric gives no
    points."""
    return (await session.execute(CYCLE_SCORES, {"cycle_id": cycle_id, "round": round})).all()
