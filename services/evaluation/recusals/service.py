"""Recusal: 제척 computed from declared ties, 기피 asked by the agency and decided by a city officer, 회피 by
the rater. A recused rater neither reads the target's scores nor scores it (403 naming the ground)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.common import ensure_own_target, record_actor
from services.evaluation.panels import repository as panels
from services.evaluation.panels import service as panel_service
from services.evaluation.panels.errors import NotOnPanel
from services.evaluation.panels.models import PanelMember
from services.evaluation.recusals import repository
from services.evaluation.recusals.errors import (
    GROUND_KO,
    ChallengedCannotDecide,
    InvalidMemberOrganizations,
    InvalidRecusal,
    RaterChallenged,
    RaterRecused,
    RecusalDecided,
    RecusalExists,
    RecusalNotFound,
)
from services.evaluation.recusals.models import Recusal
from services.evaluation.recusals.schemas import (
    ChallengeIn,
    DecisionIn,
    MemberOrganizationsIn,
    MemberOrganizationsOut,
    RecusalOut,
    WithdrawalIn,
)
from services.evaluation.targets import service as targets
from services.evaluation.targets.models import Target
from shared.auth import Identity
from shared.db import register_constraint
from shared.pagination import ID, Page, decode_cursor, page_of

register_constraint(
    "uq_recusals_challenge_pending",
    RecusalExists,
    "a challenge of this rater for this target is already pending",
    "body.panel_member_id",
    detail_ko="이 대상에 대한 이 평가위원의 기피 신청이 이미 처리 중입니다.",
)
register_constraint(
    "uq_recusals_withdrawal",
    RecusalExists,
    "the rater already withdrew from this target",
    detail_ko="이 평가위원은 이미 이 대상에서 회피했습니다.",
)
register_constraint(
    "recusal_decided",
    RecusalDecided,
    "this challenge was already decided",
    "path.recusal_id",
    detail_ko="이 기피 신청은 이미 결정되었습니다.",
)
register_constraint(
    "recusal_decided_by_challenged",
    ChallengedCannotDecide,
    "the challenged rater cannot decide the challenge",
    "path.recusal_id",
    detail_ko="기피 신청을 받은 평가위원은 그 신청을 결정할 수 없습니다.",
)


def ensure_not_recused(recusal: Recusal | None, *, scoring: bool) -> None:
    """403 naming the ground when the rater is kept from the target; a pending 기피 blocks scoring only."""
    if recusal is None:
        return
    if recusal.status == "upheld":
        raise RaterRecused(
            f"panel member {recusal.panel_member_id} is recused from target {recusal.target_id}"
            f" ({recusal.ground}, {GROUND_KO[recusal.ground]}): {recusal.reason}",
            ground=recusal.ground,
            detail_ko=f"평가위원 {recusal.panel_member_id}은(는) 평가대상 {recusal.target_id}에서"
            f" {GROUND_KO[recusal.ground]}되었습니다: {recusal.reason}",
        )
    if scoring:
        raise RaterChallenged(
            f"panel member {recusal.panel_member_id} is challenged (기피) for target {recusal.target_id}"
            f" and cannot score it until challenge {recusal.id} is decided"
        )


async def rater_of(
    session: AsyncSession, target: Target, identity: Identity, *, lock: str | None = None
) -> PanelMember | None:
    """The caller's active membership of the target's panel (cycle and round), if any."""
    return await panels.active_member(
        session, cycle_id=target.cycle_id, round=target.round, subject=identity.subject, lock=lock
    )


async def require_rater(
    session: AsyncSession, target: Target, identity: Identity, *, scoring: bool, lock: str | None = None
) -> PanelMember:
    """The caller as an active, not recused rater of the target, or 403."""
    member = await rater_of(session, target, identity, lock=lock)
    if member is None:
        raise NotOnPanel(
            f"{identity.subject} is not an active member of round {target.round}'s panel of cycle"
            f" {target.cycle_id}, which rates target {target.id}",
            detail_ko=f"{identity.subject}은(는) 평가대상 {target.id}을(를) 평가하는 주기 {target.cycle_id}"
            f" {target.round}차 평가위원이 아닙니다",
            field="path.target_id",
        )
    ensure_not_recused(
        await repository.in_effect(session, member_id=member.id, target_id=target.id), scoring=scoring
    )
    return member


async def list_recusals(
    session: AsyncSession, *, target_id: int, reader: Identity, cursor: str | None, limit: int
) -> Page[RecusalOut]:
    key: list[Any] | None = decode_cursor(cursor, (ID,))
    target = await targets.get_target(session, target_id)
    ensure_own_target(reader, target_id=target.id, organization_id=target.organization_id)
    rows = await repository.list_for_target(
        session, target_id=target.id, after_id=int(key[0]) if key else None, limit=limit + 1
    )
    return page_of([RecusalOut.model_validate(r) for r in rows], limit, lambda item: [item.id])


async def challenge(
    session: AsyncSession, *, target_id: int, data: ChallengeIn, actor: Identity
) -> RecusalOut:
    """기피: the agency challenges a rater of its own target's panel; pending until a city officer decides."""
    target = await targets.get_target(session, target_id)
    ensure_own_target(actor, target_id=target.id, organization_id=target.organization_id)
    await panels.lock_panel(session, target.cycle_id)
    member = await panels.get_member(session, data.panel_member_id)
    if (
        member is None
        or not member.active
        or (member.cycle_id, member.round) != (target.cycle_id, target.round)
    ):
        raise InvalidRecusal(
            f"panel member {data.panel_member_id} is not an active rater of target {target.id}'s panel",
            detail_ko=f"평가위원 {data.panel_member_id}은(는) 평가대상 {target.id}의 현 평가위원이 아닙니다",
            field="body.panel_member_id",
        )
    current = await repository.in_effect(session, member_id=member.id, target_id=target.id)
    if current is not None:
        raise RecusalExists(
            f"panel member {member.id} is already {current.status} for {current.ground}"
            f" ({GROUND_KO[current.ground]}) from target {target.id} (recusal {current.id})",
            detail_ko=f"평가위원 {member.id}은(는) 이미 평가대상 {target.id}에 대해"
            f" {GROUND_KO[current.ground]} 중입니다",
            field="body.panel_member_id",
        )
    await record_actor(session, actor, data.reason)
    recusal = Recusal(
        panel_member_id=member.id,
        target_id=target.id,
        ground="challenge",
        status="pending",
        reason=data.reason,
        requested_by=actor.subject,
    )
    return RecusalOut.model_validate(await repository.add_recusal(session, recusal))


async def decide(session: AsyncSession, *, recusal_id: int, data: DecisionIn, actor: Identity) -> RecusalOut:
    """A city officer upholds or rejects a pending challenge; never the challenged rater."""
    recusal = await repository.get_recusal(session, recusal_id)
    if recusal is None:
        raise RecusalNotFound(recusal_id)
    member = await panel_service.get_member(session, recusal.panel_member_id)
    if member.subject == actor.subject:
        raise ChallengedCannotDecide(
            f"{actor.subject} is the challenged rater of challenge {recusal.id}: another officer decides it",
            detail_ko=f"{actor.subject}은(는) 기피 신청된 평가위원이므로 결정할 수 없습니다",
            field="path.recusal_id",
        )
    await panels.lock_panel(session, member.cycle_id)
    recusal = await repository.get_recusal(session, recusal_id, lock=True) or recusal
    if recusal.ground != "challenge" or recusal.status != "pending":
        raise RecusalDecided(
            f"recusal {recusal.id} is a {recusal.ground} that is {recusal.status}: only a pending"
            " challenge is decided",
            detail_ko=f"{recusal.id}번은 결정 대기 중인 기피 신청이 아닙니다",
            field="path.recusal_id",
        )
    await record_actor(session, actor, data.reason)
    recusal.status = data.decision
    recusal.decided_by = actor.subject
    recusal.decided_at = await repository.now(session)
    recusal.decision_reason = data.reason
    await session.flush()
    await session.refresh(recusal)
    return RecusalOut.model_validate(recusal)


async def withdraw(
    session: AsyncSession, *, target_id: int, data: WithdrawalIn, actor: Identity
) -> RecusalOut:
    """회피: the rater steps back from the target, at once."""
    target = await targets.get_target(session, target_id)
    await panels.lock_panel(session, target.cycle_id)
    member = await rater_of(session, target, actor)
    if member is None:
        raise NotOnPanel(
            f"{actor.subject} is not an active member of target {target.id}'s panel",
            detail_ko=f"{actor.subject}은(는) 평가대상 {target.id}의 평가위원이 아닙니다",
            field="path.target_id",
        )
    current = await repository.in_effect(session, member_id=member.id, target_id=target.id)
    if current is not None and current.status == "upheld":
        raise RecusalExists(
            f"panel member {member.id} is already recused from target {target.id} ({current.ground})",
            detail_ko=f"평가위원 {member.id}은(는) 이미 평가대상 {target.id}에서"
            f" {GROUND_KO[current.ground]}되었습니다",
            field="path.target_id",
        )
    await record_actor(session, actor, data.reason)
    recusal = Recusal(
        panel_member_id=member.id,
        target_id=target.id,
        ground="withdrawal",
        status="upheld",
        reason=data.reason,
        requested_by=actor.subject,
        decided_by=actor.subject,
        decided_at=await repository.now(session),
    )
    return RecusalOut.model_validate(await repository.add_recusal(session, recusal))


async def set_member_organizations(
    session: AsyncSession, *, target_id: int, data: MemberOrganizationsIn, actor: Identity
) -> MemberOrganizationsOut:
    """Replace the consortium's member organisations; the panel's exclusions follow at once."""
    target = await targets.get_target(session, target_id)
    ids = data.organization_ids
    for index, organization_id in enumerate(ids):
        problem = None
        if not 1 <= organization_id <= 2**31 - 1:
            problem = "is not an organisation id"
        elif organization_id == target.organization_id:
            problem = "is the target's own organisation"
        elif organization_id in ids[:index]:
            problem = "is listed twice"
        if problem:
            raise InvalidMemberOrganizations(
                f"organisation {organization_id} {problem}",
                detail_ko=f"기관 {organization_id}이(가) 잘못되었습니다 (중복, 대상 기관 자신 또는 범위 밖)",
                field=f"body.organization_ids.{index}",
            )
    await panels.lock_panel(session, target.cycle_id)
    await record_actor(session, actor)
    await repository.set_member_organizations(session, target_id=target.id, organization_ids=sorted(ids))
    await session.refresh(target)
    exclusions = await repository.list_for_target(
        session, target_id=target.id, after_id=None, limit=1000, ground="exclusion"
    )
    return MemberOrganizationsOut(
        target_id=target.id,
        organization_id=target.organization_id,
        member_organization_ids=list(target.member_organization_ids),
        exclusions=[RecusalOut.model_validate(r) for r in exclusions],
    )
