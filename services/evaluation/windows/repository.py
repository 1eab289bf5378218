from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.windows.models import PhaseWindow, WindowExtension


async def list_windows(session: AsyncSession, *, cycle_id: int, round: int) -> Sequence[PhaseWindow]:
    query = select(PhaseWindow).where(PhaseWindow.cycle_id == cycle_id, PhaseWindow.round == round)
    return (await session.scalars(query)).all()


async def get_window(
    session: AsyncSession, *, cycle_id: int, round: int, phase: str, lock: bool = False
) -> PhaseWindow | None:
    query = select(PhaseWindow).where(
        PhaseWindow.cycle_id == cycle_id, PhaseWindow.round == round, PhaseWindow.phase == phase
    )
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def list_extensions(session: AsyncSession, window_ids: list[int]) -> Sequence[WindowExtension]:
    query = (
        select(WindowExtension).where(WindowExtension.window_id.in_(window_ids)).order_by(WindowExtension.id)
    )
    return (await session.scalars(query)).all()


async def add(session: AsyncSession, record: PhaseWindow | WindowExtension) -> None:
    session.add(record)
    await session.flush()
    await session.refresh(record)
