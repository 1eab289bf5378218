"""The registry's vocabularies (Popolo `classification` and `role` values)."""

from collections.abc import Iterable
from enum import StrEnum


class BodyKind(StrEnum):
    district_council = "district_council"  # 협치○○구회의
    tft = "tft"  # 민관TFT
    subcommittee = "subcommittee"  # 분과
    working_group = "working_group"
    secretariat = "secretariat"  # 협치 사무국
    city_council = "city_council"  # 서울협치협의회
    promotion_group = "promotion_group"  # 서울협치추진단
    regional_association = "regional_association"  # 협치서울지역협의회
    plenary = "plenary"  # 전체회의
    steering_committee = "steering_committee"  # 운영위원회


class OrganizationKind(StrEnum):
    civil_society_organization = "civil_society_organization"
    consortium = "consortium"
    government_office = "government_office"
    other = "other"


class MemberRole(StrEnum):
    chair = "chair"
    vice_chair = "vice_chair"
    member = "member"
    communication_lead = "communication_lead"
    steering_member = "steering_member"
    secretary = "secretary"
    manager = "manager"
    assistant_manager = "assistant_manager"
    representative = "representative"


# Seats that count toward composition, caps and quorum; the others (간사, managers…) serve the body.
SEAT_ROLES = frozenset(
    {
        MemberRole.chair,
        MemberRole.vice_chair,
        MemberRole.member,
        MemberRole.communication_lead,
        MemberRole.steering_member,
    }
)


class Sector(StrEnum):
    civil = "civil"  # 민
    councillor = "councillor"  # 구의원
    official = "official"  # 관
    expert = "expert"


class EndReason(StrEnum):
    resigned = "resigned"
    term_ended = "term_ended"
    replaced = "replaced"
    dissolved = "dissolved"
    other = "other"


def sql_list(values: Iterable[str]) -> str:
    """`'a', 'b'` for a CHECK constraint or a trigger."""
    return ", ".join(f"'{value}'" for value in sorted(values))
