"""The agency side: its report and self-evaluation, for its own open target, in the submission window."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.common import ensure_own_target, record_actor
from services.evaluation.indicators import service as indicators
from services.evaluation.rubrics import repository as rubrics_repository
from services.evaluation.rubrics.models import RubricLevel
from services.evaluation.submissions import repository
from services.evaluation.submissions.errors import InvalidSelfScore, ReportNotFound, TargetNotOpen
from services.evaluation.submissions.models import SelfScore
from services.evaluation.submissions.schemas import ReportIn, ReportOut, SelfScoreIn, SelfScoreOut
from services.evaluation.targets import service as targets
from services.evaluation.targets.models import Target
from services.evaluation.windows import service as windows
from services.evaluation.windows.phases import Phase
from shared.auth import Identity
from shared.pagination import ID, Page, decode_cursor, page_of


async def _own_target(session: AsyncSession, target_id: int, identity: Identity) -> Target:
    target = await targets.get_target(session, target_id)
    ensure_own_target(identity, target_id=target.id, organization_id=target.organization_id)
    return target


async def _writable_target(session: AsyncSession, target_id: int, actor: Identity) -> Target:
    """The agency's own target, opened, on a day of its round's report-submission window (Seoul)."""
    target = await _own_target(session, target_id, actor)
    if target.opened_at is None:
        raise TargetNotOpen(
            f"target {target.id} is not open yet: its weights and windows are still being configured",
            detail_ko=(
                f"평가 대상 {target.id}이(가) 아직 열리지 않았습니다. 가중치와 기간을 설정하는 중입니다."
            ),
            field="path.target_id",
        )
    await windows.require_window(
        session, cycle_id=target.cycle_id, round=target.round, phase=Phase.report_submission
    )
    return target


async def submit_report(
    session: AsyncSession, *, target_id: int, data: ReportIn, actor: Identity
) -> ReportOut:
    """Submit, or replace inside the window, the target's report; the history keeps every version."""
    target = await _writable_target(session, target_id, actor)
    await record_actor(session, actor)
    report = await repository.upsert_report(
        session, target_id=target.id, title=data.title, reference=data.reference, submitted_by=actor.subject
    )
    return ReportOut.model_validate(report)


async def read_report(session: AsyncSession, *, target_id: int, reader: Identity) -> ReportOut:
    target = await _own_target(session, target_id, reader)
    report = await repository.get_report(session, target.id)
    if report is None:
        raise ReportNotFound(
            f"target {target.id} has no report yet",
            detail_ko=f"평가 대상 {target.id}의 보고서가 아직 없습니다.",
            field="path.target_id",
        )
    return ReportOut.model_validate(report)


async def _level(session: AsyncSession, rubric_id: int, position: int) -> RubricLevel:
    level = await rubrics_repository.level_at(session, rubric_id=rubric_id, position=position)
    if level is None:
        raise InvalidSelfScore(
            f"rubric {rubric_id} has no level {position}",
            detail_ko=f"평가 척도 {rubric_id}에는 {position}등급이 없습니다.",
            field="body.level",
        )
    return level


async def record_self_score(
    session: AsyncSession, *, target_id: int, indicator_id: int, data: SelfScoreIn, actor: Identity
) -> SelfScoreOut:
    """The agency's own value (quantitative) or rubric level (qualitative, N/A allowed) for one indicator."""
    target = await _own_target(session, target_id, actor)
    indicator = await indicators.get_indicator(session, indicator_id)
    if indicator.cycle_id != target.cycle_id or indicator.target_id not in (None, target.id):
        raise InvalidSelfScore(
            f"indicator {indicator.id} is not one of target {target.id}'s indicators",
            detail_ko=f"지표 {indicator.id}은(는) 평가 대상 {target.id}의 지표가 아닙니다.",
            field="path.indicator_id",
        )
    level_id: int | None = None
    if indicator.measure == "qualitative":
        if data.value is not None:
            raise InvalidSelfScore(
                f"indicator {indicator.id} is qualitative: give a level of its rubric, not a value",
                detail_ko=(
                    f"지표 {indicator.id}은(는) 정성 지표입니다. 값이 아니라 척도의 등급을 지정하십시오."
                ),
                field="body.value",
            )
        if data.level is None:
            raise InvalidSelfScore(
                f"indicator {indicator.id} needs a level of its rubric",
                detail_ko=f"지표 {indicator.id}에는 척도의 등급이 필요합니다.",
                field="body.level",
            )
        assert indicator.rubric_id is not None
        level_id = (await _level(session, indicator.rubric_id, data.level)).id
    else:
        if data.level is not None:
            raise InvalidSelfScore(
                f"indicator {indicator.id} is {indicator.measure}: give a value, not a rubric level",
                detail_ko=(
                    f"지표 {indicator.id}은(는) {indicator.measure} 지표입니다. 척도 등급이 아니라"
                    " 값을 지정하십시오."
                ),
                field="body.level",
            )
        if data.value is None:
            raise InvalidSelfScore(
                f"indicator {indicator.id} needs a value",
                detail_ko=f"지표 {indicator.id}에는 값이 필요합니다.",
                field="body.value",
            )
    await _writable_target(session, target_id, actor)
    await record_actor(session, actor)
    score_id = await repository.upsert_self_score(
        session,
        target_id=target.id,
        indicator_id=indicator.id,
        value=data.value,
        rubric_level_id=level_id,
        recorded_by=actor.subject,
    )
    page = await _rows(session, target_id=target.id, after_id=score_id - 1, limit=1)
    return page[0]


async def _rows(
    session: AsyncSession, *, target_id: int, after_id: int | None, limit: int
) -> list[SelfScoreOut]:
    rows = await repository.list_self_scores(session, target_id=target_id, after_id=after_id, limit=limit)
    return [_out(score, level) for score, level in rows]


def _out(score: SelfScore, level: RubricLevel | None) -> SelfScoreOut:
    return SelfScoreOut(
        id=score.id,
        target_id=score.target_id,
        indicator_id=score.indicator_id,
        value=score.value,
        level=level.position if level else None,
        level_label_ko=level.label_ko if level else None,
        level_value=level.value if level else None,
        not_applicable=bool(level and level.not_applicable),
        recorded_at=score.recorded_at,
        recorded_by=score.recorded_by,
    )


async def list_self_scores(
    session: AsyncSession, *, target_id: int, reader: Identity, cursor: str | None, limit: int
) -> Page[SelfScoreOut]:
    key: list[Any] | None = decode_cursor(cursor, (ID,))
    target = await _own_target(session, target_id, reader)
    rows = await _rows(session, target_id=target.id, after_id=int(key[0]) if key else None, limit=limit + 1)
    return page_of(rows, limit, lambda item: [item.id])
