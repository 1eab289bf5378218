from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.projects import repository
from services.budget.projects.schemas import TimelineOut
from services.budget.projects.service import load_project
from shared.pagination import BIG_ID, Page, decode_cursor, page_of
from shared.seoul import seoul_date


async def timeline(
    session: AsyncSession, project_id: int, *, cursor: str | None, limit: int
) -> Page[TimelineOut]:
    key = decode_cursor(cursor, (BIG_ID,))
    await load_project(session, project_id)
    rows = await repository.timeline(
        session, project_id, after_id=int(key[0]) if key else None, limit=limit + 1
    )
    items = [
        TimelineOut(
            id=row.id,
            kind=row.kind,
            subject_id=row.subject_id,
            from_status=row.from_status,
            to_status=row.to_status,
            progress=row.progress,
            amount_krw=row.amount_krw,
            actor=row.actor,
            actor_role=row.actor_role,
            reason=row.reason,
            at=row.at,
            on=seoul_date(row.at),
        )
        for row in rows
    ]
    return page_of(items, limit, lambda item: [item.id])
