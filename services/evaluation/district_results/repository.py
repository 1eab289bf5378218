from collections.abc import Sequence

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncSession

# Per organisation, its newest cycle's newest published result (a re-review's result is newer than the
# first review's). One query whatever the number of cycles, targets and results.
_LATEST = """
SELECT DISTINCT ON (t.organization_id)
       t.organization_id, t.id AS target_id, c.id AS cycle_id, c.name_ko AS cycle_name_ko, c.year,
       r.review_version, r.total_display, r.category, r.published_at
FROM evaluation.results r
JOIN evaluation.targets t ON t.id = r.target_id
JOIN evaluation.cycles c ON c.id = t.cycle_id
WHERE t.district_code = :code AND r.status = 'published'
ORDER BY t.organization_id, c.year DESC, r.published_at DESC, r.id DESC
"""


async def latest_published(session: AsyncSession, code: str) -> Sequence[RowMapping]:
    return (await session.execute(text(_LATEST), {"code": code})).mappings().all()
