"""Types and helpers shared by the evaluation service's domain packages."""

from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Path
from pydantic import AfterValidator, Field, PlainSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import set_actor
from shared.auth import Identity, Role, require_roles
from shared.dates import SeoulDatetime as SeoulDatetime  # re-exported: the packages import it from here
from shared.problems import Forbidden
from shared.seoul import known_district

DistrictCode = Annotated[str, Field(pattern=r"^\d{5}$", examples=["11380"]), AfterValidator(known_district)]
RoundNumber = Annotated[int, Path(ge=1, le=2, description="The evaluation round, 1 or 2.")]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


# Exact numbers leave the API as strings without the column's padding: "35.5", not "35.500000".
ExactDecimal = Annotated[
    Decimal, PlainSerializer(lambda value: format(value.normalize(), "f"), return_type=str, when_used="json")
]

# Who reads the configuration of an evaluation (targets, windows, indicators, rubrics, history). Citizens and
# anonymous callers will read published results only; nothing is published yet.
STAFF = (Role.city_officer, Role.secretariat, Role.evaluator, Role.auditor)
Staff = Annotated[Identity, Depends(require_roles(*STAFF))]
CityOfficer = Annotated[Identity, Depends(require_roles(Role.city_officer))]
# An evaluated agency reads its own target and indicators (ensure_own_target decides which is its own).
TargetReader = Annotated[Identity, Depends(require_roles(*STAFF, Role.agency))]
# Reports and self-evaluations: the city and its auditors read all, an agency its own.
SubmissionReader = Annotated[Identity, Depends(require_roles(Role.city_officer, Role.auditor, Role.agency))]
Agency = Annotated[Identity, Depends(require_roles(Role.agency))]
# A rater is an evaluator, or a city officer appointed to rate (officials on the panel).
Rater = Annotated[Identity, Depends(require_roles(Role.evaluator, Role.city_officer))]


def ensure_own_target(identity: Identity, *, target_id: int, organization_id: int) -> None:
    """An agency acts on the target of its own organisation only; other roles are decided by their role."""
    if identity.role == Role.agency and identity.organization_id != organization_id:
        raise Forbidden(
            f"target {target_id} is organisation {organization_id}'s; this agency token acts for"
            f" organisation {identity.organization_id} only",
            detail_ko=(
                f"평가 대상 {target_id}은(는) 기관 {organization_id}의 대상입니다. 이 기관 토큰은"
                f" 기관 {identity.organization_id}만 대리합니다."
            ),
            field="path.target_id",
        )


async def record_actor(session: AsyncSession, actor: Identity, reason: str | None = None) -> None:
    """Tell the database's history trigger who acts, and why, for the rest of this transaction."""
    await set_actor(session, "evaluation", actor, reason)
