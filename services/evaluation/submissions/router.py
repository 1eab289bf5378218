from fastapi import APIRouter

from services.evaluation.common import Agency, Id, SubmissionReader
from services.evaluation.submissions import service
from services.evaluation.submissions.schemas import ReportIn, ReportOut, SelfScoreIn, SelfScoreOut
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/evaluation", tags=["evaluation agency side"], route_class=JsonBodyRoute)


@router.put("/targets/{target_id}/report", summary="Submit the agency's report")
async def submit_report(session: SessionDep, target_id: Id, data: ReportIn, actor: Agency) -> ReportOut:
    """The agency's report for its own open target, inside the round's report-submission window (409
    `outside-window` otherwise); submitting again inside the window replaces it, the history keeps both."""
    return await service.submit_report(session, target_id=target_id, data=data, actor=actor)


@router.get("/targets/{target_id}/report", summary="Read a target's report")
async def read_report(session: SessionDep, target_id: Id, reader: SubmissionReader) -> ReportOut:
    """The report (city officers and auditors; an agency its own)."""
    return await service.read_report(session, target_id=target_id, reader=reader)


@router.put(
    "/targets/{target_id}/indicators/{indicator_id}/self-evaluation", summary="Self-evaluate an indicator"
)
async def record_self_score(
    session: SessionDep, target_id: Id, indicator_id: Id, data: SelfScoreIn, actor: Agency
) -> SelfScoreOut:
    """The agency's own `value` (quantitative) or rubric `level` (qualitative; N/A allowed where the rubric
    has it) for its own open target, inside the report-submission window; again inside it replaces it."""
    return await service.record_self_score(
        session, target_id=target_id, indicator_id=indicator_id, data=data, actor=actor
    )


@router.get("/targets/{target_id}/self-evaluation", summary="Read a target's self-evaluation")
async def list_self_scores(
    session: SessionDep,
    target_id: Id,
    reader: SubmissionReader,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[SelfScoreOut]:
    """The agency's self-evaluation, one row per indicator (city officers and auditors; an agency its own)."""
    return await service.list_self_scores(
        session, target_id=target_id, reader=reader, cursor=cursor, limit=limit
    )
