"""Targets of a cycle, and their opening: weights of exactly 100 points and every phase window set."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.common import ensure_own_target, record_actor
from services.evaluation.cycles import service as cycles
from services.evaluation.indicators import repository as indicators
from services.evaluation.targets import repository
from services.evaluation.targets.errors import (
    RoundHasNoTargets,
    RoundOpen,
    TargetExists,
    TargetNotFound,
    TargetOpen,
    WeightsNot100,
    WindowsMissing,
)
from services.evaluation.targets.models import Round, Target
from services.evaluation.targets.schemas import RoundOut, TargetCreate, TargetOut, Weights
from services.evaluation.windows import service as windows
from shared.auth import Identity
from shared.councils_references import CouncilsReferences
from shared.db import register_constraint
from shared.pagination import ID, Page, decode_cursor, page_of
from shared.problems import FieldError

# Two creations racing past the check in create_target: the unique constraint decides.
register_constraint(
    "uq_targets_cycle_id_organization_id",
    TargetExists,
    "this organisation is already a target of the cycle",
    "body.organization_id",
    detail_ko="이 기관은 이미 이 주기의 평가 대상입니다.",
)
register_constraint(
    "pk_rounds",
    RoundOpen,
    "this round of the cycle is already open",
    "path.round",
    detail_ko="이 주기의 이 회차는 이미 열려 있습니다.",
)


async def _weights(session: AsyncSession, targets: list[Target]) -> dict[int, Weights]:
    if not targets:
        return {}
    common, specific = await indicators.weights(
        session, cycle_id=targets[0].cycle_id, target_ids=[t.id for t in targets]
    )
    return {
        t.id: Weights(common=common, specific=specific.get(t.id, 0), total=common + specific.get(t.id, 0))
        for t in targets
    }


def _out(target: Target, weights: Weights) -> TargetOut:
    return TargetOut(
        id=target.id,
        cycle_id=target.cycle_id,
        organization_id=target.organization_id,
        district_code=target.district_code,
        grant_id=target.grant_id,
        round=target.round,
        status="open" if target.opened_at else "configuring",
        opened_at=target.opened_at,
        opened_by=target.opened_by,
        created_at=target.created_at,
        weights=weights,
    )


async def get_target(session: AsyncSession, target_id: int, *, field: str = "path.target_id") -> Target:
    target = await repository.get_target(session, target_id)
    if target is None:
        raise TargetNotFound(target_id, field=field)
    return target


async def read_target(session: AsyncSession, target_id: int, *, reader: Identity) -> TargetOut:
    target = await get_target(session, target_id)
    ensure_own_target(reader, target_id=target.id, organization_id=target.organization_id)
    return _out(target, (await _weights(session, [target]))[target.id])


async def list_targets(
    session: AsyncSession, *, cycle_id: int, round: int | None, cursor: str | None, limit: int
) -> Page[TargetOut]:
    key = decode_cursor(cursor, (ID,))  # a foreign cursor is a 400 whether or not the cycle exists
    await cycles.get_cycle(session, cycle_id)
    after = int(key[0]) if key else None
    rows = list(
        await repository.list_targets(
            session, cycle_id=cycle_id, after_id=after, limit=limit + 1, round=round
        )
    )
    weights = await _weights(session, rows)
    return page_of([_out(t, weights[t.id]) for t in rows], limit, lambda item: [item.id])


async def create_target(
    session: AsyncSession,
    *,
    cycle_id: int,
    data: TargetCreate,
    actor: Identity,
    references: CouncilsReferences | None = None,
) -> TargetOut:
    await cycles.get_cycle(session, cycle_id)
    existing = await repository.find_target(session, cycle_id=cycle_id, organization_id=data.organization_id)
    if existing is not None:
        raise TargetExists(
            f"organisation {data.organization_id} is already target {existing.id} of cycle {cycle_id}",
            detail_ko=(
                f"기관 {data.organization_id}은(는) 이미 주기 {cycle_id}의 평가 대상 {existing.id}입니다."
            ),
            field="body.organization_id",
        )
    if references is not None:
        await references.check_organization(data.organization_id, data.district_code)
    await record_actor(session, actor)
    target = Target(**data.model_dump(), cycle_id=cycle_id, created_by=actor.subject)
    await repository.add_target(session, target)
    return _out(target, (await _weights(session, [target]))[target.id])


def ensure_configuring(target: Target) -> None:
    """Refuse a change to an open target's configuration (its indicators and weights are frozen)."""
    if target.opened_at is not None:
        raise TargetOpen(
            f"target {target.id} opened at {target.opened_at.isoformat()}:"
            " its indicators and weights are frozen",
            detail_ko=(
                f"평가 대상 {target.id}은(는) {target.opened_at.isoformat()}에 열려 지표와 가중치가"
                " 확정되었습니다."
            ),
        )


async def _require_windows(session: AsyncSession, *, cycle_id: int, round: int) -> None:
    missing = await windows.missing_phases(session, cycle_id=cycle_id, round=round)
    if missing:
        names = ", ".join(phase.value for phase in missing)
        raise WindowsMissing(
            f"round {round} of cycle {cycle_id} cannot open before every phase has its window;"
            f" missing: {names}",
            detail_ko=(
                f"주기 {cycle_id}의 {round}회차는 모든 단계의 기간이 설정되어야 열 수 있습니다."
                f" 미설정: {names}"
            ),
            field="path.round",
            extra={"missing_phases": [phase.value for phase in missing]},
        )


def _weights_problem(target: Target, weights: Weights, field: str) -> FieldError:
    return FieldError(
        field=field,
        message=(
            f"the weights of target {target.id} sum to {weights.total} points (common {weights.common}"
            f" + specific {weights.specific}); they must sum to exactly 100"
        ),
        message_ko=(
            f"평가 대상 {target.id}의 가중치 합계는 {weights.total}점(공통 {weights.common}"
            f" + 특화 {weights.specific})입니다. 합계는 정확히 100이어야 합니다."
        ),
    )


async def open_target(session: AsyncSession, target_id: int, *, actor: Identity) -> TargetOut:
    target = await get_target(session, target_id)
    await cycles.lock_cycle(session, target.cycle_id)
    await session.refresh(target)
    if target.opened_at is not None:
        raise TargetOpen(
            f"target {target.id} is already open",
            detail_ko=f"평가 대상 {target.id}은(는) 이미 열려 있습니다.",
        )
    await _require_windows(session, cycle_id=target.cycle_id, round=target.round)
    weights = (await _weights(session, [target]))[target.id]
    if weights.total != 100:
        problem = _weights_problem(target, weights, "weights.total")
        raise WeightsNot100(
            problem.message,
            detail_ko=problem.message_ko,
            errors=[problem],
            extra={"weights": weights.model_dump()},
        )
    await record_actor(session, actor)
    await repository.open_targets(session, [target.id], actor=actor.subject)
    return _out(target, weights)


async def open_round(session: AsyncSession, *, cycle_id: int, round: int, actor: Identity) -> RoundOut:
    """Open every target of the round at once, or none: each one's weights must sum to exactly 100."""
    await cycles.lock_cycle(session, cycle_id)
    if await repository.get_round(session, cycle_id=cycle_id, round=round) is not None:
        raise RoundOpen(
            f"round {round} of cycle {cycle_id} is already open",
            detail_ko=f"주기 {cycle_id}의 {round}회차는 이미 열려 있습니다.",
            field="path.round",
        )
    targets = list(await repository.round_targets(session, cycle_id=cycle_id, round=round))
    if not targets:
        raise RoundHasNoTargets(
            f"round {round} of cycle {cycle_id} has no targets",
            detail_ko=f"주기 {cycle_id}의 {round}회차에는 평가 대상이 없습니다.",
            field="path.round",
        )
    await _require_windows(session, cycle_id=cycle_id, round=round)
    pending = [t for t in targets if t.opened_at is None]
    weights = await _weights(session, pending)
    problems = [
        _weights_problem(t, weights[t.id], f"targets.{t.id}.weights.total")
        for t in pending
        if weights[t.id].total != 100
    ]
    if problems:
        raise WeightsNot100(
            f"{len(problems)} target(s) of round {round} do not have weights summing to 100: "
            + "; ".join(p.message for p in problems),
            detail_ko=(
                f"{round}회차 평가 대상 {len(problems)}개의 가중치 합계가 100이 아닙니다: "
                + "; ".join(p.message_ko or p.message for p in problems)
            ),
            errors=problems,
            extra={"weights": {str(t.id): weights[t.id].model_dump() for t in pending}},
        )
    await record_actor(session, actor)
    if pending:
        await repository.open_targets(session, [t.id for t in pending], actor=actor.subject)
    opened = await repository.add_round(
        session, Round(cycle_id=cycle_id, round=round, opened_by=actor.subject)
    )
    return RoundOut(
        cycle_id=cycle_id,
        round=round,
        opened_at=opened.opened_at,
        opened_by=opened.opened_by,
        target_ids=[t.id for t in pending],
    )
