from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from services.budget.common import CityOfficer, DistrictCode, Officer
from services.budget.grants import evaluation, policies, service
from services.budget.grants.schemas import (
    EvaluationResultIn,
    EvaluationResultOut,
    GrantApply,
    GrantKind,
    GrantOut,
    GrantStatus,
    Payment,
    PolicyOut,
    PolicySet,
)
from shared.auth import Identity, Role, require_roles
from shared.councils_references import CouncilsReferences, councils_references
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/budget", tags=["budget grants"], route_class=JsonBodyRoute)

FiscalYear = Annotated[int, Path(ge=2000, le=2100, examples=[2017])]
GrantId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Reader = Annotated[
    Identity, Depends(require_roles(Role.city_officer, Role.district_officer, Role.auditor, Role.secretariat))
]


@router.get("/grant-policies/{fiscal_year}/{kind}", summary="Get a grant policy")
async def get_policy(session: SessionDep, fiscal_year: FiscalYear, kind: GrantKind) -> PolicyOut:
    """Limits, the required 구비 ratio, continuation steps and the phases' application windows."""
    return await policies.get_policy(session, fiscal_year, kind)


@router.put("/grant-policies/{fiscal_year}/{kind}", summary="Set a grant policy")
async def set_policy(
    session: SessionDep, fiscal_year: FiscalYear, kind: GrantKind, data: PolicySet, actor: CityOfficer
) -> PolicyOut:
    """Set the year's policy for a kind of grant (city officers); the previous one stays in the history."""
    return await policies.set_policy(session, year=fiscal_year, kind=kind, data=data, actor=actor)


@router.post("/grants", status_code=201, summary="Apply for a grant")
async def apply_for_grant(
    session: SessionDep,
    data: GrantApply,
    actor: Officer,
    references: Annotated[CouncilsReferences | None, Depends(councils_references)],
) -> GrantOut:
    """Record a district's application (district officers: their own district) within the phase's window;
    execution and further platform years get their amount computed. A named `organization_id` is checked
    with councils first (registered, of the district), or without one the `district_code` (registered in
    councils); 503 with Retry-After when councils cannot answer, and nothing is stored."""
    return await service.apply_for_grant(session, data=data, actor=actor, references=references)


@router.get("/grants", summary="List grants")
async def list_grants(
    session: SessionDep,
    _: Reader,
    fiscal_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    district_code: Annotated[DistrictCode | None, Query()] = None,
    kind: GrantKind | None = None,
    status: GrantStatus | None = None,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[GrantOut]:
    """Grants by id (officials and auditors)."""
    filters = {"fiscal_year": fiscal_year, "district_code": district_code, "kind": kind, "status": status}
    return await service.list_grants(session, filters=filters, cursor=cursor, limit=limit)


@router.get("/grants/{grant_id}", summary="Get a grant")
async def get_grant(session: SessionDep, _: Reader, grant_id: GrantId) -> GrantOut:
    """One grant with its shares, status and evaluation result (officials and auditors)."""
    return await service.get_grant(session, grant_id)


@router.post("/grants/{grant_id}/award", summary="Award a grant")
async def award_grant(session: SessionDep, grant_id: GrantId, actor: CityOfficer) -> GrantOut:
    """Award an application (city officers), within the district's funding cap."""
    return await service.award_grant(session, grant_id, actor=actor)


@router.post("/grants/{grant_id}/payment", summary="Record a grant's payment")
async def record_payment(
    session: SessionDep, grant_id: GrantId, data: Payment, actor: CityOfficer
) -> GrantOut:
    """Record what was actually paid (city officers); an execution grant is computed from its
    planning grant's payment."""
    return await service.record_payment(session, grant_id, data=data, actor=actor)


@router.post("/evaluation-results", summary="Record a confirmed evaluation result")
async def record_evaluation_result(
    session: SessionDep, data: EvaluationResultIn, actor: CityOfficer
) -> EvaluationResultOut:
    """Store a platform grant's confirmed evaluation result once per `event_id` (city officers for now);
    the same event again answers the stored record with `created: false` and changes nothing."""
    return await evaluation.apply_evaluation_result(session, **data.model_dump(), actor=actor)
