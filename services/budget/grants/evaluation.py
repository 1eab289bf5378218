"""Confirmed evaluation results of platform grants, delivered once or more: stored once, applied once.

The delivery is keyed by its `event_id`. The insert is `ON CONFLICT DO NOTHING`, so of two racing deliveries
of one event, one stores it and applies it to its grant while the other waits for that commit, finds the
stored row and reports it (`created: false`). The same event id with another content is a 409, as is a second,
different result for a grant that already has one.
"""

from datetime import datetime
from uuid import UUID

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.common import record_actor
from services.budget.grants import repository
from services.budget.grants.errors import AlreadyEvaluated, EventIdReused, GrantNotFound, NotAPlatformGrant
from services.budget.grants.schemas import EvaluationResultOut
from shared.auth import Identity
from shared.problems import RuleViolation
from shared.service_auth import ServiceIdentity

CONTENT = ("grant_id", "cycle_year", "category", "confirmed_at")


def _out(row: RowMapping, created: bool) -> EvaluationResultOut:
    return EvaluationResultOut(
        **{k: row[k] for k in EvaluationResultOut.model_fields if k != "created"}, created=created
    )


async def apply_evaluation_result(
    session: AsyncSession,
    *,
    event_id: UUID,
    grant_id: int,
    cycle_year: int,
    category: str,
    confirmed_at: datetime,
    actor: Identity | ServiceIdentity,
) -> EvaluationResultOut:
    """Store the result and set it on its grant, unless this event was stored before (then change nothing)."""
    grant = await repository.get_grant(session, grant_id)
    if grant is None:
        raise GrantNotFound(grant_id, field="body.grant_id")
    if grant["kind"] != "civic_platform":
        raise NotAPlatformGrant(
            f"grant {grant_id} is {grant['kind']}; evaluation results decide platform grants",
            detail_ko=f"보조금 {grant_id}은(는) 시민협력플랫폼 보조금이 아닙니다",
            field="body.grant_id",
        )
    if cycle_year != grant["fiscal_year"]:
        raise RuleViolation(
            f"grant {grant_id} is of {grant['fiscal_year']}, not {cycle_year}",
            detail_ko=f"보조금 {grant_id}은(는) {grant['fiscal_year']}년 보조금입니다",
            field="body.cycle_year",
        )
    await record_actor(session, actor, f"evaluation result {event_id}")
    values = {
        "event_id": event_id,
        "grant_id": grant_id,
        "cycle_year": cycle_year,
        "category": category,
        "confirmed_at": confirmed_at,
        "recorded_by": actor.subject,
    }
    stored = await repository.insert_evaluation_result(session, values)
    if stored is not None:
        await repository.update_grant(session, grant_id, {"evaluation_result_id": stored["id"]})
        return _out(stored, created=True)
    earlier = await repository.evaluation_result(session, event_id=event_id)
    if earlier is None:
        other = await repository.evaluation_result(session, grant_id=grant_id)
        raise AlreadyEvaluated(
            f"grant {grant_id} already has evaluation result {other['id'] if other else '?'}"
            f" (event {other['event_id'] if other else '?'})",
            detail_ko=f"보조금 {grant_id}에는 이미 평가 결과가 있습니다",
            field="body.grant_id",
        )
    if any(earlier[name] != values[name] for name in CONTENT):
        raise EventIdReused(
            f"event {event_id} was delivered before with another content (grant {earlier['grant_id']},"
            f" {earlier['category']})",
            detail_ko=f"이벤트 {event_id}은(는) 다른 내용으로 이미 전달되었습니다",
            field="body.event_id",
        )
    return _out(earlier, created=False)
