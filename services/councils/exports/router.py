from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from services.councils.common.vocab import BodyKind, MemberRole, Sector
from services.councils.exports import popolo, tables
from services.councils.exports.schemas import PopoloExport
from services.councils.memberships.repository import MembershipFilter
from shared.csv_export import csv_response
from shared.dates import IsoDate
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute

router = APIRouter(prefix="/councils", tags=["exports"], route_class=JsonBodyRoute)

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a byte-order mark."}
}
DistrictQuery = Annotated[str | None, Query(pattern=r"^\d{5}$", description="Only this district's records.")]
KindQuery = Annotated[BodyKind | None, Query(description="Only bodies of this classification.")]


@router.get("/bodies/{body_id}/popolo", summary="Export a body as Popolo JSON")
async def export_body_popolo(
    session: SessionDep, body_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> PopoloExport:
    """The body and its sub-bodies, their members, memberships, posts, meetings (events), motions and vote
    events with the computed results, in Popolo's field names."""
    return await popolo.popolo(session, body_id)


@router.get(
    "/exports/bodies.csv", summary="Export bodies as CSV", response_class=Response, responses=CSV_RESPONSE
)
async def export_bodies_csv(
    session: SessionDep, district: DistrictQuery = None, kind: KindQuery = None
) -> Response:
    """Governance bodies with their rules, Korean headers, UTF-8 with BOM."""
    text = await tables.bodies_csv(session, district=district, kind=kind.value if kind else None)
    return csv_response(text, "bodies.csv")


@router.get(
    "/exports/memberships.csv",
    summary="Export memberships as CSV",
    response_class=Response,
    responses=CSV_RESPONSE,
)
async def export_memberships_csv(
    session: SessionDep,
    organization_id: Annotated[int | None, Query(ge=1)] = None,
    district: DistrictQuery = None,
    sector: Sector | None = None,
    role: MemberRole | None = None,
    kind: KindQuery = None,
    active_on: Annotated[IsoDate | None, Query(description="Held on this date.")] = None,
) -> Response:
    """Memberships with the same filters as the search, Korean headers, UTF-8 with BOM."""
    filters = MembershipFilter(
        organization_id=organization_id,
        district=district,
        sector=sector.value if sector else None,
        role=role.value if role else None,
        kind=kind.value if kind else None,
        active_on=active_on,
    )
    return csv_response(await tables.memberships_csv(session, filters=filters), "memberships.csv")


@router.get(
    "/exports/composition.csv",
    summary="Export composition as CSV",
    response_class=Response,
    responses=CSV_RESPONSE,
)
async def export_composition_csv(
    session: SessionDep,
    on: Annotated[
        IsoDate | None, Query(description="The date (YYYY-MM-DD); today in Seoul by default.")
    ] = None,
    district: DistrictQuery = None,
    kind: KindQuery = None,
) -> Response:
    """Each body's seats on a date: 계, 민, 구의원, 관 (and experts, unnamed), UTF-8 with BOM."""
    text = await tables.composition_csv(session, on=on, district=district, kind=kind.value if kind else None)
    return csv_response(text, "composition.csv")
