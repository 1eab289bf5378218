from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from services.budget.amendments import service
from services.budget.amendments.councils_client import councils_client
from services.budget.amendments.schemas import AmendmentCreate, AmendmentDecision, AmendmentOut
from services.budget.common import CityOfficer, Officer
from services.budget.projects.router import ProjectId
from shared.db import ReadSessionDep, SessionDep
from shared.json_body import JsonBodyRoute
from shared.service_client import ServiceClient

router = APIRouter(prefix="/budget", tags=["budget amendments"], route_class=JsonBodyRoute)

AmendmentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The amendment's id.")]


async def _councils(request: Request) -> ServiceClient:
    """The app's councils client (tests put an in-process councils at `app.state.councils_transport`)."""
    return councils_client(request.app)


Councils = Annotated[ServiceClient, Depends(_councils)]


@router.post("/projects/{project_id}/amendments", status_code=201, summary="Request a budget amendment")
async def request_amendment(
    session: SessionDep,
    project_id: ProjectId,
    data: AmendmentCreate,
    actor: Officer,
    read: ReadSessionDep,
    councils: Councils,
) -> AmendmentOut:
    """New line amounts for a running project: under 10 % of the last approved budget the cited council
    decision decides (checked with the councils service); 10 % or more, or a transfer (전용), the city."""
    return await service.request(
        session, read, project_id=project_id, data=data, actor=actor, councils=councils
    )


@router.get("/projects/{project_id}/amendments", summary="List a project's amendments")
async def list_amendments(session: SessionDep, project_id: ProjectId) -> list[AmendmentOut]:
    """Every amendment of a project, oldest first, with the arithmetic that routed it."""
    return await service.of_project(session, project_id)


@router.get("/amendments/{amendment_id}", summary="Get an amendment")
async def get_amendment(session: SessionDep, amendment_id: AmendmentId) -> AmendmentOut:
    """One amendment with its route, state, council check and decision."""
    return await service.get(session, amendment_id)


@router.post(
    "/amendments/{amendment_id}/council-check", summary="Check a pending amendment's council decision again"
)
async def recheck_amendment(
    session: SessionDep,
    read: ReadSessionDep,
    amendment_id: AmendmentId,
    actor: Officer,
    councils: Councils,
) -> AmendmentOut:
    """Ask the councils service again about a `pending_council` amendment's decision (own district)."""
    return await service.recheck(session, read, amendment_id=amendment_id, actor=actor, councils=councils)


@router.post("/amendments/{amendment_id}/decision", summary="Approve or reject an amendment")
async def decide_amendment(
    session: SessionDep, amendment_id: AmendmentId, data: AmendmentDecision, actor: CityOfficer
) -> AmendmentOut:
    """The city's decision on a `requested` amendment, with its reason (city officers)."""
    return await service.decide(session, amendment_id=amendment_id, data=data, actor=actor)
