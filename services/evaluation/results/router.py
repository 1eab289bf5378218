from typing import Annotated

from fastapi import APIRouter, Query

from services.evaluation.common import Agency, CityOfficer, Id, Staff
from services.evaluation.results import configuration, service
from services.evaluation.results.schemas import (
    AppealIn,
    AppealOut,
    ConfirmIn,
    ResultOut,
    ResultSettingsIn,
    ResultSettingsOut,
)
from shared.auth import OptionalIdentity
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/evaluation", tags=["evaluation results"], route_class=JsonBodyRoute)


@router.get("/cycles/{cycle_id}/result-settings", summary="Read a cycle's aggregation settings")
async def read_settings(session: SessionDep, cycle_id: Id, _: Staff) -> ResultSettingsOut:
    """The aggregation method, the minimum panel size and the grade bands (staff)."""
    return await configuration.read_settings(session, cycle_id)


@router.put("/cycles/{cycle_id}/result-settings", summary="Set a cycle's aggregation settings")
async def put_settings(
    session: SessionDep, cycle_id: Id, data: ResultSettingsIn, actor: CityOfficer
) -> ResultSettingsOut:
    """Set the method (`trimmed_mean`, `mean`, `median`), the minimum panel size and the grade bands at once
    (city officers); refused (409) once a result of the cycle is confirmed."""
    return await configuration.put_settings(session, cycle_id=cycle_id, data=data, actor=actor)


@router.post("/targets/{target_id}/result", summary="Compute a target's result")
async def compute_result(session: SessionDep, target_id: Id, actor: CityOfficer) -> ResultOut:
    """Compute, or recompute while it is a draft, the result of the target's current review version from its
    submitted scores, with the arithmetic shown (city officers)."""
    return await service.compute_result(session, target_id=target_id, actor=actor)


@router.get("/targets/{target_id}/result", summary="Read a target's result")
async def read_result(
    session: SessionDep,
    target_id: Id,
    reader: OptionalIdentity,
    version: Annotated[
        int | None, Query(ge=1, le=2, description="The review version (1, or 2 after an appeal).")
    ] = None,
) -> ResultOut:
    """The latest result the caller may read: staff every one; an agency its own once notified; anyone else
    published results only (404 otherwise)."""
    return await service.read_result(session, target_id=target_id, version=version, reader=reader)


@router.get("/cycles/{cycle_id}/results", summary="List a cycle's results")
async def list_results(
    session: SessionDep,
    cycle_id: Id,
    reader: OptionalIdentity,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[ResultOut]:
    """A cycle's results, every review version, oldest first: staff read all of them, anyone else (an
    agency included) the published ones."""
    return await service.list_results(session, cycle_id=cycle_id, reader=reader, cursor=cursor, limit=limit)


@router.post("/targets/{target_id}/result/notify", summary="Notify a target's result")
async def notify(session: SessionDep, target_id: Id, actor: CityOfficer) -> ResultOut:
    """Notify the agency of its draft result, inside the round's notification window (city officers)."""
    return await service.notify(session, target_id=target_id, actor=actor)


@router.post("/targets/{target_id}/appeal", status_code=201, summary="Appeal a target's result")
async def appeal(session: SessionDep, target_id: Id, data: AppealIn, actor: Agency) -> AppealOut:
    """The agency's one appeal of its own notified result, with a reason, inside the appeal window (409
    `appeal-exists` for a second one)."""
    return await service.appeal(session, target_id=target_id, data=data, actor=actor)


@router.post("/targets/{target_id}/re-review", summary="Open the re-review of an appeal")
async def open_re_review(session: SessionDep, target_id: Id, actor: CityOfficer) -> AppealOut:
    """Open the re-review inside its window; the target's review version becomes 2 (city officers)."""
    return await service.open_re_review(session, target_id=target_id, actor=actor)


@router.post("/targets/{target_id}/result/confirm", summary="Confirm a target's result")
async def confirm(session: SessionDep, target_id: Id, data: ConfirmIn, actor: CityOfficer) -> ResultOut:
    """Confirm the current result inside the confirmation window; its category comes from the grade bands,
    or is given with a reason. A confirmed result is never recomputed (city officers)."""
    return await service.confirm(session, target_id=target_id, data=data, actor=actor)


@router.post("/targets/{target_id}/result/publish", summary="Publish a target's result")
async def publish(session: SessionDep, target_id: Id, actor: CityOfficer) -> ResultOut:
    """Publish the confirmed result to citizens and anonymous callers (city officers)."""
    return await service.publish(session, target_id=target_id, actor=actor)
