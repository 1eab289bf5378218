from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from services.evaluation.common import CityOfficer, Id, Staff, TargetReader
from services.evaluation.indicators import service
from services.evaluation.indicators.schemas import (
    ActualIn,
    IndicatorCreate,
    IndicatorOut,
    IndicatorUpdate,
    MeasurementOut,
)
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page
from shared.preconditions import RecordVersion, versioned_read, versioned_write

router = APIRouter(prefix="/evaluation", tags=["evaluation indicators"], route_class=JsonBodyRoute)


@router.get("/cycles/{cycle_id}/indicators", summary="List a cycle's indicators")
async def list_cycle_indicators(
    session: SessionDep,
    cycle_id: Id,
    _: Staff,
    scope: Annotated[Literal["common", "specific"] | None, Query()] = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[IndicatorOut]:
    """Every indicator of the cycle (`scope=common` for 공통, `specific` for 개별), oldest first."""
    return await service.list_for_cycle(session, cycle_id=cycle_id, scope=scope, cursor=cursor, limit=limit)


@router.post("/cycles/{cycle_id}/indicators", status_code=201, summary="Add a common indicator")
async def create_common(
    session: SessionDep, cycle_id: Id, data: IndicatorCreate, actor: CityOfficer
) -> IndicatorOut:
    """A common indicator (공통지표): it counts for every target of the cycle (city officers)."""
    return await service.create_common(session, cycle_id=cycle_id, data=data, actor=actor)


@router.get("/targets/{target_id}/indicators", summary="List a target's indicators")
async def list_target_indicators(
    session: SessionDep,
    target_id: Id,
    reader: TargetReader,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[IndicatorOut]:
    """The target's whole set: the cycle's common indicators and its own, oldest first (staff; an agency
    its own target's)."""
    return await service.list_for_target(
        session, target_id=target_id, reader=reader, cursor=cursor, limit=limit
    )


@router.post("/targets/{target_id}/indicators", status_code=201, summary="Add a target-specific indicator")
async def create_specific(
    session: SessionDep, target_id: Id, data: IndicatorCreate, actor: CityOfficer
) -> IndicatorOut:
    """An indicator agreed with this agency (개별지표) (city officers)."""
    return await service.create_specific(session, target_id=target_id, data=data, actor=actor)


@router.get(
    "/indicators/{indicator_id}",
    summary="Get an indicator",
    dependencies=[Depends(versioned_read("evaluation.indicators", "indicator_id"))],
)
async def get_indicator(session: SessionDep, indicator_id: Id, _: Staff) -> IndicatorOut:
    """One indicator."""
    return service.out(await service.get_indicator(session, indicator_id))


@router.patch("/indicators/{indicator_id}", summary="Change an indicator")
async def update_indicator(
    session: SessionDep,
    indicator_id: Id,
    data: IndicatorUpdate,
    actor: CityOfficer,
    record: Annotated[RecordVersion, Depends(versioned_write("evaluation.indicators", "indicator_id"))],
    response: Response,
) -> IndicatorOut:
    """Change its name, weight or numbers while its target(s) are not open (city officers); with If-Match,
    only if it has not changed since it was read (412 otherwise)."""
    out = await service.update_indicator(session, indicator_id, data=data, actor=actor)
    await record.tag(response)
    return out


@router.delete("/indicators/{indicator_id}", status_code=204, summary="Remove an indicator")
async def delete_indicator(session: SessionDep, indicator_id: Id, actor: CityOfficer) -> Response:
    """Remove it while its target(s) are not open (city officers); the history keeps it."""
    await service.delete_indicator(session, indicator_id, actor=actor)
    return Response(status_code=204)


@router.put("/targets/{target_id}/indicators/{indicator_id}/actual", summary="Record a measured value")
async def record_actual(
    session: SessionDep, target_id: Id, indicator_id: Id, data: ActualIn, actor: CityOfficer
) -> MeasurementOut:
    """The actual value of a quantitative indicator for an open target, inside the round's
    quantitative-measurement window (409 `outside-window` otherwise) (city officers)."""
    return await service.record_actual(
        session, target_id=target_id, indicator_id=indicator_id, data=data, actor=actor
    )


@router.get("/targets/{target_id}/measurements", summary="List a target's measured values")
async def list_measurements(session: SessionDep, target_id: Id, _: Staff) -> list[MeasurementOut]:
    """The measured actual values of the target's quantitative indicators (at most one per indicator)."""
    return await service.list_measurements(session, target_id)
