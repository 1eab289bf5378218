from typing import Annotated

from fastapi import APIRouter, Path

from services.evaluation.aggregation.bands import CATEGORY_KO, Category
from services.evaluation.district_results import repository
from services.evaluation.district_results.schemas import LatestResult
from shared.db import ReadSessionDep
from shared.json_body import JsonBodyRoute

router = APIRouter(prefix="/evaluation", tags=["evaluation results"], route_class=JsonBodyRoute)

DistrictCode = Annotated[
    str, Path(pattern=r"^\d{5}$", description="5-digit administrative code", examples=["11110"])
]


@router.get("/districts/{code}/latest-results", summary="A district's latest published results")
async def latest_results(session: ReadSessionDep, code: DistrictCode) -> list[LatestResult]:
    """For each organisation of the district evaluated so far, its most recent published result and its
    category (anyone: only published results, which are confirmed ones, as citizens may see them)."""
    rows = await repository.latest_published(session, code)
    return [
        LatestResult(
            **{**row, "total_display": f"{row['total_display']:.2f}"},
            category_ko=CATEGORY_KO[Category(row["category"])] if row["category"] else None,
        )
        for row in rows
    ]
