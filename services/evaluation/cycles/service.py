from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.common import record_actor
from services.evaluation.cycles import repository
from services.evaluation.cycles.errors import CycleNotFound
from services.evaluation.cycles.models import EvaluationCycle
from services.evaluation.cycles.schemas import CycleCreate, CycleOut
from shared.auth import Identity
from shared.pagination import ID, Page, decode_cursor, page_of


async def list_cycles(
    session: AsyncSession, *, cursor: str | None, limit: int, year: int | None
) -> Page[CycleOut]:
    key = decode_cursor(cursor, (ID,))
    before = int(key[0]) if key else None
    rows = await repository.list_cycles(session, before_id=before, limit=limit + 1, year=year)
    return page_of([CycleOut.model_validate(row) for row in rows], limit, lambda item: [item.id])


async def get_cycle(session: AsyncSession, cycle_id: int) -> CycleOut:
    cycle = await repository.get_cycle(session, cycle_id)
    if cycle is None:
        raise CycleNotFound(cycle_id)
    return CycleOut.model_validate(cycle)


async def lock_cycle(
    session: AsyncSession, cycle_id: int, *, field: str = "path.cycle_id"
) -> EvaluationCycle:
    """The cycle, its row locked: every change to a cycle's targets' weights or opening goes through here."""
    cycle = await repository.get_cycle(session, cycle_id, lock=True)
    if cycle is None:
        raise CycleNotFound(cycle_id, field=field)
    return cycle


async def create_cycle(session: AsyncSession, *, data: CycleCreate, actor: Identity) -> CycleOut:
    await record_actor(session, actor)
    cycle = EvaluationCycle(**data.model_dump(), created_by=actor.subject)
    return CycleOut.model_validate(await repository.add_cycle(session, cycle))
