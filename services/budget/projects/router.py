from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.budget.common import CityOfficer, DistrictCode, Officer
from services.budget.elections.router import ElectionId
from services.budget.projects import service
from services.budget.projects.schemas import (
    MilestoneCreate,
    MilestoneOut,
    MilestoneStatusChange,
    ProjectDetail,
    ProjectOut,
    ProjectsCreate,
    ProjectsCreated,
    ProjectStatus,
    StatusChange,
    TimelineOut,
)
from services.budget.projects.timeline import timeline
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/budget", tags=["budget projects"], route_class=JsonBodyRoute)

ProjectId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The project's id.")]
MilestoneId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The milestone's id.")]


@router.post(
    "/elections/{election_id}/projects",
    status_code=201,
    summary="Create the funded projects of a published election",
    responses={200: {"model": ProjectsCreated, "description": "Every project existed already; none created"}},
)
async def create_projects(
    session: SessionDep,
    election_id: ElectionId,
    actor: CityOfficer,
    response: Response,
    data: ProjectsCreate,
) -> ProjectsCreated:
    """One project per selected project of the published outcome, with its budget lines (city officers).

    Idempotent: a second call creates nothing more and answers 200.
    """
    created = await service.create_from_election(session, election_id=election_id, data=data, actor=actor)
    if created.created == 0:
        response.status_code = 200
    return created


@router.get("/projects", summary="List funded projects")
async def list_projects(
    session: SessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
    district_code: Annotated[DistrictCode | None, Query()] = None,
    election_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: Annotated[ProjectStatus | None, Query()] = None,
) -> Page[ProjectOut]:
    """Funded projects in creation order, optionally of one district, election or status."""
    return await service.list_projects(
        session,
        cursor=cursor,
        limit=limit,
        district_code=district_code,
        election_id=election_id,
        status=status,
    )


@router.get("/projects/{project_id}", summary="Get a funded project")
async def get_project(session: SessionDep, project_id: ProjectId) -> ProjectDetail:
    """A project with its budget lines, milestones, progress (Σ weight of done milestones) and spending."""
    return await service.detail(session, project_id)


@router.post("/projects/{project_id}/status", summary="Change a project's status")
async def change_project_status(
    session: SessionDep, project_id: ProjectId, data: StatusChange, actor: Officer
) -> ProjectDetail:
    """planned → in_progress → done (at 100 % progress); planned or in_progress → cancelled (own district)."""
    return await service.change_status(session, project_id=project_id, data=data, actor=actor)


@router.post("/projects/{project_id}/milestones", status_code=201, summary="Add a milestone")
async def add_milestone(
    session: SessionDep, project_id: ProjectId, data: MilestoneCreate, actor: Officer
) -> MilestoneOut:
    """A milestone with its date and integer weight; a project's weights never pass 100 (own district)."""
    return await service.add_milestone(session, project_id=project_id, data=data, actor=actor)


@router.post(
    "/projects/{project_id}/milestones/{milestone_id}/status", summary="Report a milestone's progress"
)
async def change_milestone_status(
    session: SessionDep,
    project_id: ProjectId,
    milestone_id: MilestoneId,
    data: MilestoneStatusChange,
    actor: Officer,
) -> ProjectDetail:
    """Start or finish a milestone of a running project whose weights sum to 100 (own district)."""
    return await service.change_milestone(
        session, project_id=project_id, milestone_id=milestone_id, data=data, actor=actor
    )


@router.get("/projects/{project_id}/timeline", summary="A project's timeline")
async def get_timeline(
    session: SessionDep, project_id: ProjectId, cursor: CursorParam = None, limit: LimitParam = 50
) -> Page[TimelineOut]:
    """Every status and progress change, expenditure and amendment step: when, who, why, progress after."""
    return await timeline(session, project_id, cursor=cursor, limit=limit)
