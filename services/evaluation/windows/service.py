"""Phase windows: the dates of each phase of a round, as data, and the check every dated action makes."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.common import record_actor
from services.evaluation.cycles import service as cycles
from services.evaluation.windows import repository
from services.evaluation.windows.errors import (
    ExtensionNotLater,
    OutsideWindow,
    WindowExists,
    WindowNotFound,
    WindowNotSet,
)
from services.evaluation.windows.models import PhaseWindow, WindowExtension
from services.evaluation.windows.phases import ORDER, PHASE_KO, Phase
from services.evaluation.windows.schemas import ExtensionCreate, ExtensionOut, WindowCreate, WindowOut
from shared.auth import Identity
from shared.db import register_constraint
from shared.seoul import today_seoul

# Two settings of the same window racing past the check in set_window: the unique constraint decides.
register_constraint(
    "uq_phase_windows_cycle_id_round_phase",
    WindowExists,
    "this phase of this round already has a window; extend it instead",
    "body.phase",
    detail_ko="이 회차의 이 단계에는 이미 기간이 있습니다. 연장하십시오.",
)


async def require_window(
    session: AsyncSession, *, cycle_id: int, round: int, phase: Phase, on: date | None = None
) -> PhaseWindow:
    """The window of the phase if `on` (by default today in Seoul) lies in it, else a 409 naming its dates."""
    on = on or today_seoul()
    window = await repository.get_window(session, cycle_id=cycle_id, round=round, phase=phase)
    if window is None:
        raise WindowNotSet(cycle_id, round, phase)
    if not window.starts_on <= on <= window.ends_on:
        raise OutsideWindow(
            round=round, phase=phase, starts_on=window.starts_on, ends_on=window.ends_on, on=on
        )
    return window


async def missing_phases(session: AsyncSession, *, cycle_id: int, round: int) -> list[Phase]:
    """The phases of the round that have no window yet, in schedule order."""
    present = {w.phase for w in await repository.list_windows(session, cycle_id=cycle_id, round=round)}
    return [phase for phase in Phase if phase.value not in present]


async def _out(session: AsyncSession, windows: list[PhaseWindow]) -> list[WindowOut]:
    extensions = await repository.list_extensions(session, [w.id for w in windows])
    return [
        WindowOut(
            id=w.id,
            cycle_id=w.cycle_id,
            round=w.round,
            phase=Phase(w.phase),
            phase_ko=PHASE_KO[Phase(w.phase)],
            starts_on=w.starts_on,
            ends_on=w.ends_on,
            original_ends_on=w.original_ends_on,
            extensions=[ExtensionOut.model_validate(e) for e in extensions if e.window_id == w.id],
        )
        for w in sorted(windows, key=lambda w: ORDER[Phase(w.phase)])
    ]


async def list_windows(session: AsyncSession, *, cycle_id: int, round: int) -> list[WindowOut]:
    await cycles.get_cycle(session, cycle_id)
    return await _out(session, list(await repository.list_windows(session, cycle_id=cycle_id, round=round)))


async def _window(
    session: AsyncSession, *, cycle_id: int, round: int, phase: Phase, lock: bool = False
) -> PhaseWindow:
    await cycles.get_cycle(session, cycle_id)
    window = await repository.get_window(session, cycle_id=cycle_id, round=round, phase=phase, lock=lock)
    if window is None:
        raise WindowNotFound(cycle_id, round, phase)
    return window


async def get_window(session: AsyncSession, *, cycle_id: int, round: int, phase: Phase) -> WindowOut:
    return (await _out(session, [await _window(session, cycle_id=cycle_id, round=round, phase=phase)]))[0]


async def set_window(
    session: AsyncSession, *, cycle_id: int, round: int, data: WindowCreate, actor: Identity
) -> WindowOut:
    await cycles.get_cycle(session, cycle_id)
    if await repository.get_window(session, cycle_id=cycle_id, round=round, phase=data.phase) is not None:
        raise WindowExists(
            f"round {round} of cycle {cycle_id} already has a {data.phase.value} window; extend it instead",
            detail_ko=(
                f"주기 {cycle_id}의 {round}회차에는 이미 {data.phase.value} 단계 기간이 있습니다."
                " 연장하십시오."
            ),
            field="body.phase",
        )
    await record_actor(session, actor)
    window = PhaseWindow(
        cycle_id=cycle_id,
        round=round,
        phase=data.phase.value,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        original_ends_on=data.ends_on,
        created_by=actor.subject,
    )
    await repository.add(session, window)
    return (await _out(session, [window]))[0]


async def extend_window(
    session: AsyncSession, *, cycle_id: int, round: int, phase: Phase, data: ExtensionCreate, actor: Identity
) -> WindowOut:
    window = await _window(session, cycle_id=cycle_id, round=round, phase=phase, lock=True)
    if data.ends_on <= window.ends_on:
        raise ExtensionNotLater(
            f"the window ends on {window.ends_on}; an extension must end later than that",
            detail_ko=f"기간은 {window.ends_on}에 끝납니다. 연장 기간은 그보다 늦게 끝나야 합니다.",
            field="body.ends_on",
        )
    await record_actor(session, actor, data.reason)
    extension = WindowExtension(
        window_id=window.id,
        previous_ends_on=window.ends_on,
        ends_on=data.ends_on,
        reason=data.reason,
        actor=actor.subject,
        actor_role=actor.role.value,
    )
    await repository.add(session, extension)
    window.ends_on = data.ends_on
    await session.flush()
    return (await _out(session, [window]))[0]
