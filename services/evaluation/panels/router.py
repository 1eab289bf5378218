from typing import Annotated

from fastapi import APIRouter, Path

from services.evaluation.common import CityOfficer, Id, RoundNumber, Staff
from services.evaluation.panels import service
from services.evaluation.panels.schemas import PanelMemberIn, PanelMemberOut, ReplacementIn, TieIn
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute
from shared.pagination import CursorParam, LimitParam, Page

router = APIRouter(prefix="/evaluation", tags=["evaluation panel"], route_class=JsonBodyRoute)

OrganizationPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="A councils organisation id.")]


@router.get("/cycles/{cycle_id}/rounds/{round}/panel", summary="List a round's panel")
async def list_panel(
    session: SessionDep,
    cycle_id: Id,
    round: RoundNumber,
    _: Staff,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[PanelMemberOut]:
    """The raters of a cycle's round, oldest first; replaced ones stay listed, inactive."""
    return await service.list_panel(session, cycle_id=cycle_id, round=round, cursor=cursor, limit=limit)


@router.post("/cycles/{cycle_id}/rounds/{round}/panel", status_code=201, summary="Appoint a rater")
async def appoint(
    session: SessionDep, cycle_id: Id, round: RoundNumber, data: PanelMemberIn, actor: CityOfficer
) -> PanelMemberOut:
    """Appoint an official or an external expert (city officers), with the organisations it is tied to;
    a tie to a target's organisation or to one of its member organisations excludes it from it (제척)."""
    return await service.appoint(session, cycle_id=cycle_id, round=round, data=data, actor=actor)


@router.get("/panel-members/{member_id}", summary="Get a panel member")
async def get_member(session: SessionDep, member_id: Id, _: Staff) -> PanelMemberOut:
    """One rater with its declared ties (staff)."""
    return await service.read_member(session, member_id)


@router.post("/panel-members/{member_id}/replace", status_code=201, summary="Replace a rater")
async def replace(
    session: SessionDep, member_id: Id, data: ReplacementIn, actor: CityOfficer
) -> PanelMemberOut:
    """Replace an active rater (city officers): a reason is required; both stay on record."""
    return await service.replace(session, member_id=member_id, data=data, actor=actor)


@router.post("/panel-members/{member_id}/ties", status_code=201, summary="Declare a rater's tie")
async def add_tie(session: SessionDep, member_id: Id, data: TieIn, actor: CityOfficer) -> PanelMemberOut:
    """Record a further organisation the rater is tied to (city officers); exclusions follow at once."""
    return await service.add_tie(session, member_id=member_id, data=data, actor=actor)


@router.delete("/panel-members/{member_id}/ties/{organization_id}", summary="Remove a rater's tie")
async def remove_tie(
    session: SessionDep, member_id: Id, organization_id: OrganizationPath, actor: CityOfficer
) -> PanelMemberOut:
    """Remove a tie declared in error (city officers); the exclusions it alone caused are lifted."""
    return await service.remove_tie(
        session, member_id=member_id, organization_id=organization_id, actor=actor
    )
