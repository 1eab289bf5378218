from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.cycles import repository
from services.budget.cycles.errors import CycleNotFound
from services.budget.cycles.models import BudgetCycle
from services.budget.cycles.schemas import CycleCreate, CycleOut
from shared.auth import Identity
from shared.pagination import ID, Page, decode_cursor, page_of


async def list_cycles(session: AsyncSession, *, cursor: str | None, limit: int) -> Page[CycleOut]:
    key = decode_cursor(cursor, (ID,))
    rows = await repository.list_cycles(session, before_id=int(key[0]) if key else None, limit=limit + 1)
    return page_of([CycleOut.model_validate(row) for row in rows], limit, lambda item: [item.id])


async def get_cycle(session: AsyncSession, cycle_id: int) -> CycleOut:
    cycle = await repository.get_cycle(session, cycle_id)
    if cycle is None:
        raise CycleNotFound(cycle_id)
    return CycleOut.model_validate(cycle)


async def create_cycle(session: AsyncSession, *, data: CycleCreate, actor: Identity) -> CycleOut:
    cycle = BudgetCycle(**data.model_dump(), status="draft", created_by=actor.subject)
    return CycleOut.model_validate(await repository.add_cycle(session, cycle))
