"""A target's result and its lifecycle: compute, notify, appeal once, re-review, confirm, publish; and reads.

Every step locks the target's row first, so two steps of one target (a recompute and a confirmation, two
appeals) run one after the other; computing and confirming then hold the cycle row FOR SHARE, so a change of
the cycle's settings or bands (FOR UPDATE) is ordered with them. The result_guard trigger and the appeals'
UNIQUE constraint hold the rules even for a request that would slip past the checks here.
"""

from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.aggregation import engine
from services.evaluation.aggregation.arithmetic import shown
from services.evaluation.aggregation.bands import CATEGORY_KO, Band, Category, categorize
from services.evaluation.aggregation.rounding import display, exact
from services.evaluation.common import STAFF, ensure_own_target, record_actor
from services.evaluation.cycles import service as cycles
from services.evaluation.outbox.service import enqueue_result_confirmed
from services.evaluation.results import repository
from services.evaluation.results.compute import compute
from services.evaluation.results.configuration import settings_of
from services.evaluation.results.errors import (
    AppealExists,
    AppealNotFound,
    CategoryReason,
    GradeBandsNotSet,
    PanelTooSmall,
    ResultFrozen,
    ResultNotFound,
    ResultStatus,
    RubricNotScorable,
    TargetNotOpen,
)
from services.evaluation.results.models import Appeal, Result
from services.evaluation.results.schemas import AppealIn, AppealOut, ConfirmIn, ResultOut
from services.evaluation.targets import service as targets
from services.evaluation.targets.errors import TargetNotFound
from services.evaluation.windows import service as windows
from services.evaluation.windows.phases import Phase
from shared.auth import Identity, Role
from shared.db import register_constraint
from shared.pagination import ID, Page, decode_cursor, page_of

# Budget's words for a confirmed category (grants/schemas.py: continue, increase, reduce, stop).
BUDGET_CATEGORY = {
    Category.continue_with_increase: "increase",
    Category.continue_: "continue",
    Category.reduce: "reduce",
    Category.stop: "stop",
}

register_constraint(
    "uq_appeals_cycle_id_target_id",
    AppealExists,
    "this target's result has already been appealed; a target appeals once per cycle",
    "path.target_id",
    detail_ko="이 대상의 결과에는 이미 이의신청이 있었습니다. 이의신청은 주기마다 한 번만 할 수 있습니다.",
)

# What an agency may read of its own target's results; citizens and anonymous callers read published ones.
AGENCY_VISIBLE = ("notified", "appealed", "confirmed", "published")


async def _target(session: AsyncSession, target_id: int) -> Row[Any]:
    target = await repository.lock_target(session, target_id)
    if target is None:
        raise TargetNotFound(target_id)
    return target


def _out(result: Result, cycle_id: int, appeal: Appeal | None) -> ResultOut:
    category = Category(result.category) if result.category else None
    return ResultOut(
        id=result.id,
        target_id=result.target_id,
        cycle_id=cycle_id,
        review_version=result.review_version,
        status=result.status,
        total=result.total,
        total_display=format(result.total_display, "f"),
        category=category,
        category_ko=CATEGORY_KO[category] if category else None,
        category_source=result.category_source,
        category_reason=result.category_reason,
        arithmetic=result.arithmetic,
        computed_at=result.computed_at,
        computed_by=result.computed_by,
        notified_at=result.notified_at,
        notified_by=result.notified_by,
        confirmed_at=result.confirmed_at,
        confirmed_by=result.confirmed_by,
        published_at=result.published_at,
        published_by=result.published_by,
        appeal=AppealOut.model_validate(appeal) if appeal and appeal.result_id == result.id else None,
    )


async def _current(session: AsyncSession, target: Row[Any]) -> Result:
    result = await repository.get_result(session, target_id=target.id, version=target.review_version)
    if result is None:
        raise ResultNotFound(
            f"target {target.id} has no result of review version {target.review_version} yet",
            detail_ko=f"평가 대상 {target.id}의 {target.review_version}차 평가 결과가 아직 없습니다",
            field="path.target_id",
        )
    return result


def _status_problem(result: Result, wanted: str, action: str) -> ResultStatus:
    return ResultStatus(
        f"result {result.id} (review version {result.review_version}) is {result.status};"
        f" {action} needs it {wanted}",
        detail_ko=(
            f"평가 결과 {result.id}의 상태가 {result.status}입니다."
            f" 이 작업은 {wanted} 상태에서만 할 수 있습니다"
        ),
        field="path.target_id",
        extra={"result_status": result.status, "review_version": result.review_version},
    )


async def compute_result(session: AsyncSession, *, target_id: int, actor: Identity) -> ResultOut:
    """Compute, or recompute while still a draft (or a re-review's result), the current version's result."""
    target = await _target(session, target_id)
    if target.opened_at is None:
        raise TargetNotOpen(
            f"target {target.id} is not open yet: there is nothing to aggregate",
            detail_ko=f"평가 대상 {target.id}이(가) 아직 열리지 않았습니다",
            field="path.target_id",
        )
    await repository.share_cycle(session, target.cycle_id)
    settings = await settings_of(session, target.cycle_id)
    rows = await repository.scores(
        session, cycle_id=target.cycle_id, target_id=target.id, version=target.review_version
    )
    try:
        result = compute(rows, method=settings.aggregation_method, min_panel_size=settings.min_panel_size)
    except engine.TooFewScores as small:
        raise PanelTooSmall(
            f"{small}: no result is computed for target {target.id}",
            detail_ko=(
                f"지표 {small.indicator_id}의 유효 점수가 {small.n}개로, 최소 {small.minimum}개가 필요합니다:"
                f" 평가 대상 {target.id}의 결과를 산정하지 않습니다"
            ),
            field="path.target_id",
            extra={"indicator_id": small.indicator_id, "n": small.n, "minimum": small.minimum},
        ) from small
    except engine.UnscorableRubric as unscorable:
        raise RubricNotScorable(
            f"target {target.id}: {unscorable}",
            detail_ko=f"평가 대상 {target.id}: 평가척도의 값으로 0점부터 배점까지의 점수를 낼 수 없습니다",
            field="path.target_id",
        ) from unscorable
    await record_actor(session, actor)
    result_id = await repository.upsert_result(
        session,
        target_id=target.id,
        version=target.review_version,
        total=exact(result.total),
        total_display=display(result.total),
        arithmetic=shown(result),
        actor=actor.subject,
    )
    if result_id is None:
        frozen = await _current(session, target)
        raise ResultFrozen(
            f"result {frozen.id} of target {target.id} is {frozen.status}: it can no longer be recomputed",
            detail_ko=f"평가 결과 {frozen.id}은(는) {frozen.status} 상태라 다시 산정할 수 없습니다",
            field="path.target_id",
            extra={"result_status": frozen.status},
        )
    return _out(
        await _current(session, target), target.cycle_id, await repository.appeal_of(session, target.id)
    )


async def notify(session: AsyncSession, *, target_id: int, actor: Identity) -> ResultOut:
    """Notify the agency of its first-review result, inside the notification window."""
    target = await _target(session, target_id)
    result = await _current(session, target)
    if result.status != "draft":
        raise _status_problem(result, "draft", "notifying")
    await windows.require_window(
        session, cycle_id=target.cycle_id, round=target.round, phase=Phase.notification
    )
    await record_actor(session, actor)
    result.status, result.notified_by = "notified", actor.subject
    result.notified_at = await repository.now(session)
    await session.flush()
    return _out(result, target.cycle_id, None)


async def appeal(session: AsyncSession, *, target_id: int, data: AppealIn, actor: Identity) -> AppealOut:
    """The agency's one appeal of its own notified result, inside the appeal window."""
    target = await _target(session, target_id)
    ensure_own_target(actor, target_id=target.id, organization_id=target.organization_id)
    existing = await repository.appeal_of(session, target.id)
    if existing is not None:
        raise AppealExists(
            f"target {target.id} appealed on {existing.created_at.date()} (appeal {existing.id});"
            " a target appeals once per cycle",
            detail_ko=(
                f"평가 대상 {target.id}은(는) 이미 이의를 제기했습니다(이의 {existing.id})."
                " 이의 제기는 한 번만 할 수 있습니다"
            ),
            field="path.target_id",
        )
    result = await _current(session, target)
    if result.status != "notified":
        raise _status_problem(result, "notified", "an appeal")
    await windows.require_window(session, cycle_id=target.cycle_id, round=target.round, phase=Phase.appeal)
    await record_actor(session, actor, data.reason)
    made = await repository.add_appeal(
        session,
        Appeal(
            cycle_id=target.cycle_id,
            target_id=target.id,
            result_id=result.id,
            reason=data.reason,
            created_by=actor.subject,
        ),
    )
    result.status = "appealed"
    await session.flush()
    return AppealOut.model_validate(made)


async def open_re_review(session: AsyncSession, *, target_id: int, actor: Identity) -> AppealOut:
    """Open the re-review of an appealed result: the target's scores start again as review version 2."""
    target = await _target(session, target_id)
    made = await repository.appeal_of(session, target.id)
    if made is None or made.re_review_opened_at is not None:
        state = "has no appeal" if made is None else "has its re-review open already"
        raise AppealNotFound(
            f"target {target.id} {state}",
            detail_ko=f"평가 대상 {target.id}에 재심의할 이의 제기가 없거나 이미 재심의 중입니다",
            field="path.target_id",
        )
    await windows.require_window(session, cycle_id=target.cycle_id, round=target.round, phase=Phase.re_review)
    await record_actor(session, actor)
    await repository.set_review_version(session, target.id, 2)
    made.re_review_opened_by = actor.subject
    made.re_review_opened_at = await repository.now(session)
    await session.flush()
    return AppealOut.model_validate(made)


async def _category(session: AsyncSession, result: Result, cycle_id: int, data: ConfirmIn) -> tuple[str, str]:
    if data.category is not None:
        if not data.reason:
            raise CategoryReason(
                "a category set by hand needs a reason",
                detail_ko="등급을 직접 정할 때는 사유를 적어야 합니다",
                field="body.reason",
            )
        return data.category.value, "manual"
    if data.reason:
        raise CategoryReason(
            "a reason goes with a category set by hand; without one the grade bands decide",
            detail_ko="사유는 등급을 직접 정할 때만 적습니다. 등급을 정하지 않으면 등급 구간이 정합니다",
            field="body.reason",
        )
    bands = await repository.get_bands(session, cycle_id)
    if not bands:
        raise GradeBandsNotSet(
            f"cycle {cycle_id} has no grade bands: set them, or give a category and a reason",
            detail_ko=(
                f"평가 {cycle_id}에 등급 구간이 없습니다. 등급 구간을 정하거나 등급과 사유를 적으십시오"
            ),
            field="body.category",
        )
    banded = [Band(Decimal(b.min_total), Category(b.category)) for b in bands]
    return categorize(Fraction(result.total), banded).value, "bands"


async def confirm(session: AsyncSession, *, target_id: int, data: ConfirmIn, actor: Identity) -> ResultOut:
    """Confirm the current result inside the confirmation window: its numbers and category freeze."""
    target = await _target(session, target_id)
    result = await _current(session, target)
    wanted = "notified" if target.review_version == 1 else "re_reviewed"
    if result.status != wanted:
        raise _status_problem(result, wanted, "confirming")
    await windows.require_window(
        session, cycle_id=target.cycle_id, round=target.round, phase=Phase.confirmation
    )
    await repository.share_cycle(session, target.cycle_id)
    category, source = await _category(session, result, target.cycle_id, data)
    await record_actor(session, actor, data.reason)
    result.status, result.category, result.category_source = "confirmed", category, source
    result.category_reason = data.reason if source == "manual" else None
    result.confirmed_by = actor.subject
    result.confirmed_at = await repository.now(session)
    await session.flush()
    await _tell_budget(session, target, result)
    return _out(result, target.cycle_id, await repository.appeal_of(session, target.id))


async def _tell_budget(session: AsyncSession, target: Row[Any], result: Result) -> None:
    """The confirmation's event for budget, in the confirming transaction (the outbox delivers it once)."""
    cycle = await cycles.get_cycle(session, target.cycle_id)
    assert result.confirmed_at is not None and result.category is not None
    payload = {
        "grant_id": target.grant_id,
        "cycle_year": cycle.year,
        "category": BUDGET_CATEGORY[Category(result.category)],
        "confirmed_at": result.confirmed_at.isoformat(),
        "review_version": result.review_version,
        "total": str(result.total_display),
    }
    await enqueue_result_confirmed(session, target.id, payload)


async def publish(session: AsyncSession, *, target_id: int, actor: Identity) -> ResultOut:
    """Publish the confirmed result: from now on citizens and anonymous callers read it."""
    target = await _target(session, target_id)
    result = await _current(session, target)
    if result.status != "confirmed":
        raise _status_problem(result, "confirmed", "publishing")
    await record_actor(session, actor)
    result.status, result.published_by = "published", actor.subject
    result.published_at = await repository.now(session)
    await session.flush()
    return _out(result, target.cycle_id, await repository.appeal_of(session, target.id))


def _visible(result: Result, reader: Identity | None) -> bool:
    if reader is not None and reader.role in (*STAFF, Role.admin):
        return True
    if reader is not None and reader.role == Role.agency:
        return result.status in AGENCY_VISIBLE
    return result.status == "published"


async def read_result(
    session: AsyncSession, *, target_id: int, version: int | None, reader: Identity | None
) -> ResultOut:
    """The latest result the reader may see (or the asked version): staff all, an agency its own once
    notified, anyone else published ones only; anything else is a 404 not saying whether it exists."""
    target = await targets.get_target(session, target_id)
    if reader is not None:
        ensure_own_target(reader, target_id=target.id, organization_id=target.organization_id)
    results = [
        r
        for r in await repository.results_of(session, target.id)
        if _visible(r, reader) and version in (None, r.review_version)
    ]
    if not results:
        which = f"review version {version}" if version else "result"
        raise ResultNotFound(
            f"target {target.id} has no {which} you may read",
            detail_ko=f"평가 대상 {target.id}에 읽을 수 있는 평가 결과가 없습니다",
            field="query.version" if version else "path.target_id",
        )
    return _out(results[0], target.cycle_id, await repository.appeal_of(session, target.id))


async def list_results(
    session: AsyncSession, *, cycle_id: int, reader: Identity | None, cursor: str | None, limit: int
) -> Page[ResultOut]:
    """A cycle's results, every review version, oldest first: staff read all, anyone else published ones."""
    key = decode_cursor(cursor, (ID,))
    await cycles.get_cycle(session, cycle_id)
    staff = reader is not None and reader.role in (*STAFF, Role.admin)
    rows = await repository.list_results(
        session,
        cycle_id=cycle_id,
        after_id=int(key[0]) if key else None,
        limit=limit + 1,
        published_only=not staff,
    )
    appeals = await repository.appeals_of(session, sorted({result.target_id for result, _ in rows}))
    items = [_out(result, cycle, appeals.get(result.target_id)) for result, cycle in rows]
    return page_of(items, limit, lambda item: [item.id])
