from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.evaluation.common import Id, Rater
from services.evaluation.scores import service
from services.evaluation.scores.schemas import ScoreIn, ScoreOut, SheetOut
from shared.auth import Identity, Role, require_roles
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/evaluation", tags=["evaluation scores"], route_class=JsonBodyRoute)

# Raters (their own target, once submitted), city officers and auditors read scores; agencies are told no.
ScoreReader = Annotated[
    Identity, Depends(require_roles(Role.evaluator, Role.city_officer, Role.auditor, Role.agency))
]
Version = Annotated[
    int | None, Query(ge=1, le=2, description="Review version; by default the target's current.")
]


@router.put("/targets/{target_id}/scores/{indicator_id}", summary="Save a draft score")
async def put_score(
    session: SessionDep, target_id: Id, indicator_id: Id, data: ScoreIn, actor: Rater
) -> ScoreOut:
    """The rater's draft of one indicator: `points` (0 to the weight) or a rubric `level` (N/A allowed).

    Only an active, not recused rater of the target's cycle and round, inside the round's
    `qualitative_interviews` window (version 1) or `re_review` window (version 2); 409 once submitted."""
    return await service.put_score(
        session, target_id=target_id, indicator_id=indicator_id, data=data, actor=actor
    )


@router.post("/targets/{target_id}/scores/submit", summary="Submit the rater's score sheet")
async def submit(session: SessionDep, target_id: Id, actor: Rater) -> SheetOut:
    """Submit every draft of the caller's sheet at once: 422 naming the indicators not yet scored; 409 when
    already submitted. Submitted scores are never overwritten."""
    return await service.submit(session, target_id=target_id, actor=actor)


@router.get("/targets/{target_id}/scores/mine", summary="Read the rater's own sheet")
async def read_sheet(session: SessionDep, target_id: Id, reader: Rater, version: Version = None) -> SheetOut:
    """The caller's own scores of the target, drafts included (403 when recused)."""
    return await service.read_sheet(session, target_id=target_id, reader=reader, version=version)


@router.get("/targets/{target_id}/scores", summary="List a target's scores")
async def list_scores(
    session: SessionDep,
    target_id: Id,
    reader: ScoreReader,
    version: Version = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[ScoreOut]:
    """Every rater's scores of the target (drafts included): city officers and auditors; a rater only once its
    own sheet is submitted (403 before, and 403 naming the ground when recused); agencies never."""
    return await service.list_scores(
        session, target_id=target_id, reader=reader, version=version, cursor=cursor, limit=limit
    )
