"""Who may write what: district records by their district's officers, city-level records by the city."""

from shared.auth import Identity, Role, ensure_district_access
from shared.problems import Forbidden

REGISTRY_WRITERS = (Role.district_officer, Role.city_officer)
MEETING_WRITERS = (Role.secretariat, Role.city_officer)
# Roles that read non-public fields (contacts) and the change history; citizens and anonymous callers do not.
OFFICIAL_ROLES = frozenset(
    {Role.district_officer, Role.city_officer, Role.secretariat, Role.evaluator, Role.auditor, Role.admin}
)


def ensure_can_write(identity: Identity, district_code: str | None, what: str = "this record") -> None:
    """District records: its officers, city officers and admins. City-level records: the city only."""
    if district_code is not None:
        ensure_district_access(identity, district_code)
        return
    if identity.role not in (Role.city_officer, Role.admin):
        raise Forbidden(f"{what} is city-level: only city officers and admins may write it")


def ensure_can_record_meetings(identity: Identity, district_code: str | None) -> None:
    """Secretariats (of the body's district when their token names one), city officers and admins."""
    if identity.role in (Role.city_officer, Role.admin):
        return
    if identity.role == Role.secretariat:
        if identity.district_code is None or identity.district_code == district_code:
            return
        raise Forbidden(f"the secretariat of district {identity.district_code} may not record this meeting")
    raise Forbidden(f"role {identity.role.value} may not record meetings")


def is_official(identity: Identity | None) -> bool:
    return identity is not None and identity.role in OFFICIAL_ROLES
