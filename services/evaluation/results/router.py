from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from services.evaluation.common import Agency, CityOfficer, Id, Staff
from services.evaluation.results import chart, configuration, service
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
from shared.preconditions import if_none_match_hits
from shared.problems import PROBLEM_RESPONSES
from shared.svg import CHART_CACHE_CONTROL, SvgResponse

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


RESULT_SVG_DESCRIPTION = """The result as a picture to embed (`<img src=…>`): the total, the category and the
status; each indicator's points against its weight (the bar's track is as long as the weight), with how many
scores counted and how many were N/A; and, for city officers, auditors and admins (who read the comparison,
which shows the agency's self-evaluation), self vs official vs expert: each type's total and mean points per
indicator, "점수 없음" where a type gave none. Labelled in Korean; 400 units wide in its `viewBox` and
`width="100%"`, so it scales to a phone's width; `<title>` and `<desc>` for screen readers.

The same result and the same answers as `GET /evaluation/targets/{target_id}/result`: staff every result, an
agency its own once notified, anyone else published results only (**404** otherwise). A published result's
picture without the comparison has a strong `ETag` of its own and `Cache-Control: public, max-age=60`; any
other picture an `ETag` of its bytes and `Cache-Control: private, no-cache`. `If-None-Match` naming the
current picture is **304**.
"""
PRIVATE_CACHE_CONTROL = "private, no-cache"


@router.get(
    "/targets/{target_id}/result.svg",
    summary="Read a target's result as an SVG chart",
    description=RESULT_SVG_DESCRIPTION,
    response_class=SvgResponse,
    responses={
        200: {
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            "description": "The result chart (SVG, UTF-8)",
        },
        304: {"description": "The chart named by If-None-Match has not changed"},
        404: {**PROBLEM_RESPONSES[404], "description": "No such target, or no result the caller may read"},
    },
)
async def read_result_svg(
    session: SessionDep,
    target_id: Id,
    reader: OptionalIdentity,
    version: Annotated[
        int | None, Query(ge=1, le=2, description="The review version (1, or 2 after an appeal).")
    ] = None,
    if_none_match: Annotated[
        str | None,
        Header(alias="If-None-Match", description="The chart's ETag as read: 304 if it still is."),
    ] = None,
) -> Response:
    answer = await chart.result_svg(session, target_id=target_id, version=version, reader=reader)
    headers = {
        "ETag": answer.etag,
        "Cache-Control": CHART_CACHE_CONTROL if answer.public else PRIVATE_CACHE_CONTROL,
        "Vary": "Authorization",
    }
    if if_none_match_hits(if_none_match, answer.etag):
        return Response(status_code=304, headers=headers)
    return SvgResponse(answer.svg, headers=headers)


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
