"""Who may write what: district records by their district's officers, city-level records by the city."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from services.councils.models import SCHEMA
from shared.audit import set_actor
from shared.auth import Identity, Role, ensure_district_access, require_roles
from shared.db import SessionDep
from shared.problems import Forbidden

REGISTRY_WRITERS = (Role.district_officer, Role.city_officer)
MEETING_WRITERS = (Role.secretariat, Role.city_officer)
# Roles that read non-public fields (contacts) and the change history; citizens and anonymous callers do not.
OFFICIAL_ROLES = frozenset(
    {Role.district_officer, Role.city_officer, Role.secretariat, Role.evaluator, Role.auditor, Role.admin}
)

# The Korean names of the city-level records `ensure_can_write` is told about.
_WHAT_KO = {
    "this record": "이 기록",
    "a membership of a city-level body": "시 단위 기구의 위원 자격",
    "a body without a district": "자치구가 없는 기구",
    "an organization without a district": "자치구가 없는 기관",
    "a person without a district": "자치구가 없는 인물",
}


def ensure_can_write(identity: Identity, district_code: str | None, what: str = "this record") -> None:
    """District records: its officers, city officers and admins. City-level records: the city only."""
    if district_code is not None:
        ensure_district_access(identity, district_code)
        return
    if identity.role not in (Role.city_officer, Role.admin):
        raise Forbidden(
            f"{what} is city-level: only city officers and admins may write it",
            detail_ko=(
                f"{_WHAT_KO.get(what, what)}은(는) 시 단위 기록이므로 시 공무원과 관리자만 쓸 수 있습니다."
            ),
        )


def ensure_can_record_meetings(identity: Identity, district_code: str | None) -> None:
    """Secretariats (of the body's district when their token names one), city officers and admins."""
    if identity.role in (Role.city_officer, Role.admin):
        return
    if identity.role == Role.secretariat:
        if identity.district_code is None or identity.district_code == district_code:
            return
        raise Forbidden(
            f"the secretariat of district {identity.district_code} may not record this meeting",
            detail_ko=f"자치구 {identity.district_code}의 사무국은 이 회의를 기록할 수 없습니다.",
        )
    raise Forbidden(
        f"role {identity.role.value} may not record meetings",
        detail_ko=f"{identity.role.value} 역할은 회의를 기록할 수 없습니다.",
    )


def is_official(identity: Identity | None) -> bool:
    return identity is not None and identity.role in OFFICIAL_ROLES


def writer(*roles: Role) -> Callable[..., Awaitable[Identity]]:
    """A write route's caller (these roles, admin always), named to the history triggers as the actor of the
    request's unit of work before the handler writes anything: every write of every route is attributed."""
    admit = require_roles(*roles)

    async def dependency(session: SessionDep, identity: Annotated[Identity, Depends(admit)]) -> Identity:
        await set_actor(session, SCHEMA, identity)
        return identity

    return dependency


RegistryWriter = Annotated[Identity, Depends(writer(*REGISTRY_WRITERS))]
Recorder = Annotated[Identity, Depends(writer(*MEETING_WRITERS))]
