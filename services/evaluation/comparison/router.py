from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from services.evaluation.common import Id
from services.evaluation.comparison import service
from services.evaluation.comparison.schemas import CycleComparisonOut, TargetComparisonOut
from shared.auth import Identity, Role, require_roles
from shared.csv_export import csv_response
from shared.db import SessionDep
from shared.json_body import JsonBodyRoute

router = APIRouter(prefix="/evaluation", tags=["evaluation comparison"], route_class=JsonBodyRoute)

# The comparison shows the agency's self-evaluation (read by city officers and auditors only) and every
# rater's scores (a rater sees others' only after submitting, a recused one never): so only those roles.
ComparisonReader = Annotated[Identity, Depends(require_roles(Role.city_officer, Role.auditor))]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a byte-order mark."}
}


@router.get("/targets/{target_id}/comparison", summary="Compare a target's scores by rater type")
async def compare_target(session: SessionDep, target_id: Id, _: ComparisonReader) -> TargetComparisonOut:
    """Self vs official vs expert: mean points per indicator and in total, with the differences."""
    return await service.compare_target(session, target_id=target_id)


@router.get("/targets/{target_id}/scorecard", summary="A target's scorecard")
async def scorecard(session: SessionDep, target_id: Id, _: ComparisonReader) -> TargetComparisonOut:
    """The comparison with every counted score: indicators, weights, each rater's points, means, totals."""
    return await service.compare_target(session, target_id=target_id, with_scores=True)


@router.get("/cycles/{cycle_id}/comparison", summary="Compare a cycle's scores by rater type")
async def compare_cycle(
    session: SessionDep,
    cycle_id: Id,
    _: ComparisonReader,
    round: Annotated[int | None, Query(ge=1, le=2, description="Only this round's targets.")] = None,
) -> CycleComparisonOut:
    """Per target and over the cycle, self vs official vs expert, and each round's inter-rater reliability
    (Krippendorff's alpha and the ICCs, for information)."""
    return await service.compare_cycle(session, cycle_id=cycle_id, round=round)


@router.get(
    "/cycles/{cycle_id}/exports/scores.csv",
    summary="Export a cycle's submitted scores as CSV",
    response_class=Response,
    responses=CSV_RESPONSE,
)
async def export_scores_csv(session: SessionDep, cycle_id: Id, _: ComparisonReader) -> Response:
    """Every submitted score, every review version, Korean headers, UTF-8 with BOM, formulas neutralised."""
    text = await service.scores_csv(session, cycle_id=cycle_id)
    return csv_response(text, f"evaluation-{cycle_id}-scores.csv")


@router.get(
    "/cycles/{cycle_id}/exports/results.csv",
    summary="Export a cycle's results as CSV",
    response_class=Response,
    responses=CSV_RESPONSE,
)
async def export_results_csv(session: SessionDep, cycle_id: Id, _: ComparisonReader) -> Response:
    """Every result, every review version and status, exact total and category, UTF-8 with BOM."""
    text = await service.results_csv(session, cycle_id=cycle_id)
    return csv_response(text, f"evaluation-{cycle_id}-results.csv")
