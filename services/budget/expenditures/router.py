from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from services.budget.expenditures import service
from services.budget.expenditures.schemas import AccountCodeOut, ExpenditureCreate, ExpenditureOut
from services.budget.projects.router import ProjectId
from services.budget.projects.schemas import SpendingSummary
from shared.auth import Identity, Role, require_roles
from shared.csv_export import csv_response
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/budget", tags=["budget expenditures"], route_class=JsonBodyRoute)

DistrictOfficer = Annotated[Identity, Depends(require_roles(Role.district_officer))]
Staff = Annotated[
    Identity,
    Depends(require_roles(Role.district_officer, Role.city_officer, Role.auditor, Role.admin)),
]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a byte-order mark."}
}


@router.get("/account-codes", summary="List budget account codes")
async def list_account_codes(session: SessionDep) -> list[AccountCodeOut]:
    """The budget account codes (예산과목) an expenditure may be booked on, e.g. 201-01 사무관리비."""
    return await service.list_account_codes(session)


@router.post("/projects/{project_id}/expenditures", status_code=201, summary="Record an expenditure")
async def record_expenditure(
    session: SessionDep, project_id: ProjectId, data: ExpenditureCreate, actor: DistrictOfficer
) -> ExpenditureOut:
    """An expense on a budget line: unit price × quantity = amount, within the line (own district)."""
    return await service.record(session, project_id=project_id, data=data, actor=actor)


@router.get("/projects/{project_id}/expenditures", summary="List a project's expenditures")
async def list_expenditures(
    session: SessionDep,
    project_id: ProjectId,
    actor: Staff,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[ExpenditureOut]:
    """Itemised expenditures in the order recorded (officers of the district, city officers, auditors)."""
    return await service.list_expenditures(
        session, project_id=project_id, actor=actor, cursor=cursor, limit=limit
    )


@router.get(
    "/projects/{project_id}/expenditures.csv",
    summary="Export a project's expenditures as CSV",
    response_class=Response,
    responses=CSV_RESPONSE,
)
async def export_expenditures_csv(session: SessionDep, project_id: ProjectId, actor: Staff) -> Response:
    """Itemised expenditures with a total row, Korean headers, UTF-8 with BOM, formulas neutralised."""
    text = await service.export_csv(session, project_id=project_id, actor=actor)
    return csv_response(text, f"project-{project_id}-expenditures.csv")


@router.get("/projects/{project_id}/summary", summary="A project's spending summary")
async def get_project_spending(session: SessionDep, project_id: ProjectId) -> SpendingSummary:
    """Budget, spent and remaining, per line and per account code, and progress: public."""
    return await service.summary(session, project_id)
