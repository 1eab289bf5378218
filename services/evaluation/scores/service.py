"""Scoring: each rater's draft per indicator, then the whole sheet submitted at once and never overwritten.

Scores are written inside the target's round's qualitative-interviews window (평가위원 정성평가, seed 004
step IV) for the first review, and inside the re-review window for version 2. A rater reads the other
raters' scores of a target only once its own sheet is submitted.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.common import record_actor
from services.evaluation.indicators import service as indicators
from services.evaluation.indicators.models import Indicator
from services.evaluation.panels.errors import NotOnPanel
from services.evaluation.panels.models import PanelMember
from services.evaluation.recusals import repository as recusals
from services.evaluation.recusals import service as recusal_service
from services.evaluation.recusals.errors import (
    RaterChallenged,
    RaterChallengeUpheld,
    RaterExcluded,
    RaterWithdrew,
)
from services.evaluation.rubrics import repository as rubrics_repository
from services.evaluation.rubrics.models import RubricLevel
from services.evaluation.scores import repository
from services.evaluation.scores.errors import (
    InvalidScore,
    ScoresHidden,
    ScoreSubmitted,
    SheetIncomplete,
    TargetNotOpenForScoring,
)
from services.evaluation.scores.repository import ScoreRow
from services.evaluation.scores.schemas import ScoreIn, ScoreOut, SheetOut
from services.evaluation.targets import service as targets
from services.evaluation.targets.models import Target
from services.evaluation.windows import service as windows
from services.evaluation.windows.phases import Phase
from shared.auth import Identity, Role
from shared.db import register_constraint
from shared.pagination import BIG_ID, Page, decode_cursor, page_of
from shared.problems import FieldError

# The score trigger's refusals, when a request raced past the checks below (a recusal, a replacement or a
# submission committed meanwhile).
register_constraint(
    "score_rater_exclusion",
    RaterExcluded,
    "the rater is excluded (제척) from this target",
    "path.target_id",
    detail_ko="이 평가위원은 이 대상에서 제척되었습니다.",
)
register_constraint(
    "score_rater_challenge",
    RaterChallengeUpheld,
    "the rater was challenged (기피) off this target",
    "path.target_id",
    detail_ko="이 평가위원은 기피 신청이 받아들여져 이 대상에서 빠졌습니다.",
)
register_constraint(
    "score_rater_withdrawal",
    RaterWithdrew,
    "the rater withdrew (회피) from this target",
    "path.target_id",
    detail_ko="이 평가위원은 이 대상에서 회피했습니다.",
)
register_constraint(
    "score_rater_challenge_pending",
    RaterChallenged,
    "the rater is challenged (기피) for this target",
    "path.target_id",
    detail_ko="이 대상에 대해 이 평가위원의 기피 신청이 처리 중입니다.",
)
register_constraint(
    "score_rater_not_on_panel",
    NotOnPanel,
    "the rater is not an active member of the target's panel",
    "path.target_id",
    detail_ko="이 평가위원은 이 대상 평가단의 활동 위원이 아닙니다.",
)
register_constraint(
    "score_submitted",
    ScoreSubmitted,
    "the rater's sheet for this target is already submitted",
    "path.target_id",
    detail_ko="이 평가위원의 이 대상 평가표는 이미 제출되었습니다.",
)
register_constraint(
    "score_sheet_incomplete",
    SheetIncomplete,
    "the sheet lacks a score of at least one of the target's indicators",
    "path.target_id",
    detail_ko="평가표에 이 대상의 지표 중 점수가 없는 지표가 있습니다.",
)
register_constraint(
    "score_points_range",
    InvalidScore,
    "points out of the indicator's range",
    "body.points",
    detail_ko="점수가 지표의 배점 범위를 벗어났습니다.",
)
register_constraint(
    "score_level_not_of_rubric",
    InvalidScore,
    "not a level of the indicator's rubric",
    "body.level",
    detail_ko="지표의 척도에 없는 단계입니다.",
)
register_constraint(
    "score_version_not_current",
    ScoreSubmitted,
    "the target's review version changed; score the current one",
    "path.target_id",
    detail_ko="대상의 심사 회차가 바뀌었습니다. 현재 회차로 평가하십시오.",
)

# Who sees every rater's scores of every target (unless they are themselves a recused rater of it).
OVERSEERS = (Role.city_officer, Role.auditor, Role.admin)


def _phase(target: Target) -> Phase:
    return Phase.qualitative_interviews if target.review_version == 1 else Phase.re_review


async def _scoring(
    session: AsyncSession, target_id: int, actor: Identity, *, lock: str | None = None
) -> tuple[Target, PanelMember]:
    """The open target and the caller as its rater, not recused, on a day of the scoring window."""
    target = await targets.get_target(session, target_id)
    member = await recusal_service.require_rater(session, target, actor, scoring=True, lock=lock)
    if target.opened_at is None:
        raise TargetNotOpenForScoring(
            f"target {target.id} is not open yet: its weights and windows are still being configured",
            detail_ko=f"평가대상 {target.id}은(는) 아직 열리지 않았습니다",
            field="path.target_id",
        )
    await windows.require_window(session, cycle_id=target.cycle_id, round=target.round, phase=_phase(target))
    return target, member


def _out(row: ScoreRow) -> ScoreOut:
    score, level, rater_type = row
    return ScoreOut(
        id=score.id,
        target_id=score.target_id,
        indicator_id=score.indicator_id,
        panel_member_id=score.panel_member_id,
        rater_type=rater_type,
        version=score.version,
        points=score.points,
        level=level.position if level else None,
        level_label_ko=level.label_ko if level else None,
        level_value=level.value if level else None,
        not_applicable=bool(level and level.not_applicable),
        status=score.status,
        updated_at=score.updated_at,
        submitted_at=score.submitted_at,
    )


async def _value(session: AsyncSession, indicator: Indicator, data: ScoreIn) -> tuple[Any, int | None]:
    """(points, rubric level id) for the indicator, or a 422 naming the field."""
    if indicator.measure == "qualitative":
        if data.points is not None:
            raise InvalidScore(
                f"indicator {indicator.id} is qualitative: give a level of its rubric, not points",
                detail_ko=f"지표 {indicator.id}은(는) 정성 지표입니다: 점수 대신 평가척도 단계를 주십시오",
                field="body.points",
            )
        if data.level is None:
            raise InvalidScore(
                f"indicator {indicator.id} needs a level of its rubric",
                detail_ko=f"지표 {indicator.id}에는 평가척도 단계가 필요합니다",
                field="body.level",
            )
        assert indicator.rubric_id is not None
        level: RubricLevel | None = await rubrics_repository.level_at(
            session, rubric_id=indicator.rubric_id, position=data.level
        )
        if level is None:
            raise InvalidScore(
                f"rubric {indicator.rubric_id} of indicator {indicator.id} has no level {data.level}",
                detail_ko=f"지표 {indicator.id}의 평가척도 {indicator.rubric_id}에는"
                f" {data.level}단계가 없습니다",
                field="body.level",
            )
        return None, level.id
    if data.level is not None:
        raise InvalidScore(
            f"indicator {indicator.id} is {indicator.measure}: give points, not a rubric level",
            detail_ko=f"지표 {indicator.id}은(는) 정량 지표입니다: 단계 대신 점수를 주십시오",
            field="body.level",
        )
    if data.points is None:
        raise InvalidScore(
            f"indicator {indicator.id} needs points from 0 to {indicator.weight}",
            detail_ko=f"지표 {indicator.id}에는 0점부터 {indicator.weight}점까지의 점수가 필요합니다",
            field="body.points",
        )
    if data.points > indicator.weight:
        raise InvalidScore(
            f"indicator {indicator.id} weighs {indicator.weight} points: {data.points} is above it",
            detail_ko=f"지표 {indicator.id}의 배점은 {indicator.weight}점입니다:"
            f" {data.points}점은 배점을 넘습니다",
            field="body.points",
        )
    return data.points, None


async def _submitted_at(
    session: AsyncSession, *, target: Target, member: PanelMember, version: int
) -> datetime | None:
    sheet = await repository.rows(session, target_id=target.id, version=version, member_id=member.id)
    submitted = [row[0].submitted_at for row in sheet if row[0].status == "submitted"]
    return submitted[0] if submitted else None


def _already_submitted(target: Target, member: PanelMember, at: datetime) -> ScoreSubmitted:
    return ScoreSubmitted(
        f"panel member {member.id} submitted its sheet for target {target.id} (version"
        f" {target.review_version}) at {at.isoformat()}: submitted scores are never overwritten",
        detail_ko=f"평가위원 {member.id}은(는) 평가대상 {target.id}의 평가표를 이미 제출했습니다:"
        " 제출된 점수는 바꿀 수 없습니다",
        field="path.target_id",
    )


async def put_score(
    session: AsyncSession, *, target_id: int, indicator_id: int, data: ScoreIn, actor: Identity
) -> ScoreOut:
    """Save (or change) the rater's draft score of one indicator of the target."""
    target, member = await _scoring(session, target_id, actor)
    indicator = await indicators.get_indicator(session, indicator_id)
    if indicator.cycle_id != target.cycle_id or indicator.target_id not in (None, target.id):
        raise InvalidScore(
            f"indicator {indicator.id} is not one of target {target.id}'s indicators",
            detail_ko=f"지표 {indicator.id}은(는) 평가대상 {target.id}의 지표가 아닙니다",
            field="path.indicator_id",
        )
    points, level_id = await _value(session, indicator, data)
    at = await _submitted_at(session, target=target, member=member, version=target.review_version)
    if at is not None:
        raise _already_submitted(target, member, at)
    await record_actor(session, actor)
    score_id = await repository.upsert_draft(
        session,
        target_id=target.id,
        indicator_id=indicator.id,
        member_id=member.id,
        version=target.review_version,
        points=points,
        level_id=level_id,
    )
    rows = await repository.rows(session, target_id=target.id, version=target.review_version, ids=[score_id])
    return _out(rows[0])


def _sheet(target: Target, member: PanelMember, version: int, rows: list[ScoreRow]) -> SheetOut:
    submitted = [row[0].submitted_at for row in rows if row[0].submitted_at is not None]
    return SheetOut(
        target_id=target.id,
        panel_member_id=member.id,
        version=version,
        status="submitted" if submitted and len(submitted) == len(rows) else "draft",
        submitted_at=submitted[0] if submitted else None,
        scores=[_out(row) for row in rows],
    )


async def submit(session: AsyncSession, *, target_id: int, actor: Identity) -> SheetOut:
    """Submit the rater's whole sheet: every indicator of the target scored (or N/A), else 422 naming them.

    The rater's panel row is locked FOR UPDATE first: a draft being written for the same rater (which holds it
    FOR SHARE) is either committed and seen here, or waits and then finds the sheet submitted.
    """
    target, member = await _scoring(session, target_id, actor, lock="update")
    version = target.review_version
    at = await _submitted_at(session, target=target, member=member, version=version)
    if at is not None:
        raise _already_submitted(target, member, at)
    scored = {
        row[0].indicator_id
        for row in await repository.rows(session, target_id=target.id, version=version, member_id=member.id)
    }
    wanted = await repository.target_indicators(session, cycle_id=target.cycle_id, target_id=target.id)
    missing = [i for i in wanted if i.id not in scored]
    if missing:
        names = ", ".join(f"{i.id} ({i.name_ko})" for i in missing)
        raise SheetIncomplete(
            f"the sheet of panel member {member.id} for target {target.id} lacks {len(missing)} indicator(s):"
            f" {names}; score each, or choose its rubric's N/A level",
            detail_ko=f"평가표에 {len(missing)}개 지표의 점수가 없습니다: {names}",
            errors=[
                FieldError(
                    field=f"indicators.{i.id}",
                    message=f"indicator {i.id} ({i.name_ko}) is not scored",
                    message_ko=f"지표 {i.id}({i.name_ko})의 점수가 없습니다",
                )
                for i in missing
            ],
            extra={"missing_indicator_ids": [i.id for i in missing]},
        )
    await record_actor(session, actor)
    await repository.submit(session, target_id=target.id, member_id=member.id, version=version)
    rows = list(await repository.rows(session, target_id=target.id, version=version, member_id=member.id))
    return _sheet(target, member, version, rows)


async def _readable_version(target: Target, version: int | None) -> int:
    if version is None:
        return target.review_version
    if version > target.review_version:
        raise InvalidScore(
            f"target {target.id} is in review version {target.review_version};"
            f" version {version} has no scores",
            detail_ko=f"평가대상 {target.id}은(는) {target.review_version}차 심사 중입니다",
            field="query.version",
        )
    return version


async def read_sheet(
    session: AsyncSession, *, target_id: int, reader: Identity, version: int | None
) -> SheetOut:
    """The caller's own sheet (drafts included) for the target."""
    target = await targets.get_target(session, target_id)
    member = await recusal_service.require_rater(session, target, reader, scoring=False)
    version = await _readable_version(target, version)
    rows = list(await repository.rows(session, target_id=target.id, version=version, member_id=member.id))
    return _sheet(target, member, version, rows)


async def list_scores(
    session: AsyncSession,
    *,
    target_id: int,
    reader: Identity,
    version: int | None,
    cursor: str | None,
    limit: int,
) -> Page[ScoreOut]:
    """Every rater's scores of the target: overseers all, drafts included; a rater, once its own sheet is
    submitted, the others' submitted scores (never their drafts) and its own."""
    key: list[Any] | None = decode_cursor(cursor, (BIG_ID,))
    target = await targets.get_target(session, target_id)
    if reader.role == Role.agency:
        raise ScoresHidden(
            "agencies do not see the panel's raw scores; they read their result once notified",
            detail_ko="평가대상 기관은 평가위원의 개별 점수를 볼 수 없습니다",
            field="path.target_id",
        )
    version = await _readable_version(target, version)
    member = await recusal_service.rater_of(session, target, reader)
    if member is not None:
        recusal_service.ensure_not_recused(
            await recusals.in_effect(session, member_id=member.id, target_id=target.id), scoring=False
        )
        if await _submitted_at(session, target=target, member=member, version=version) is None:
            raise ScoresHidden(
                f"panel member {member.id} sees the other raters' scores of target {target.id} once its own"
                f" sheet (version {version}) is submitted",
                detail_ko=f"평가위원 {member.id}은(는) 자신의 평가표를 제출한 뒤에"
                " 다른 위원의 점수를 볼 수 있습니다",
                field="path.target_id",
            )
    elif reader.role not in OVERSEERS:
        raise ScoresHidden(
            f"only the raters of target {target.id}'s panel, city officers and auditors read its scores",
            detail_ko=f"평가대상 {target.id}의 점수는 평가위원, 시 담당자와 감사만 볼 수 있습니다",
            field="path.target_id",
        )
    rows = await repository.rows(
        session,
        target_id=target.id,
        version=version,
        after_id=int(key[0]) if key else None,
        limit=limit + 1,
        submitted_or_of=member.id if member is not None else None,
    )
    return page_of([_out(row) for row in rows], limit, lambda item: [item.id])
