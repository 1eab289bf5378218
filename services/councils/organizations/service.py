"""Governance bodies, civil-society organisations and posts: rules of nesting, districts and access."""

from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.common.access import ensure_can_write
from services.councils.common.dates import first_day, last_day
from services.councils.common.read_cache import Connect, VersionedCache, VersionReads
from services.councils.common.thresholds import Threshold
from services.councils.common.vocab import BodyKind, MemberRole, OrganizationKind
from services.councils.districts import repository as districts
from services.councils.organizations import repository
from services.councils.organizations.errors import (
    BodyNotFound,
    InvalidParent,
    OrganizationNotFound,
    PostNotFound,
    UnknownDistrict,
)
from services.councils.organizations.models import Organization, Post
from services.councils.organizations.schemas import (
    BodyCreate,
    BodyOut,
    BodyUpdate,
    DecisionRules,
    OrganizationCreate,
    OrganizationOut,
    OrganizationUpdate,
    PostCreate,
    PostOut,
)
from shared.auth import Identity
from shared.pagination import ID, Page, decode_cursor, page_of
from shared.problems import RuleViolation

BODY_KINDS = frozenset(kind.value for kind in BodyKind)
ORGANIZATION_KINDS = frozenset(kind.value for kind in OrganizationKind)
DEFAULT_STEERING_CAP = 10  # 제5조①: 운영위원회는 … 10인 내외로 구성한다
DEFAULT_STEERING_REQUESTERS = 2  # 제5조③: 운영위원 2인 이상의 요구로 임시회의를 소집할 수 있다


def rules_of(body: Organization) -> DecisionRules:
    return DecisionRules(
        quorum=Threshold.of(body.quorum_num, body.quorum_den, body.quorum_strict),
        passing=Threshold.of(body.pass_num, body.pass_den, body.pass_strict),
        amendment=Threshold.of(body.amend_num, body.amend_den, body.amend_strict),
        extraordinary_min_requesters=body.extraordinary_min_requesters,
    )


def _set_rules(body: Organization, rules: DecisionRules) -> None:
    body.quorum_num, body.quorum_den = rules.quorum.numerator, rules.quorum.denominator
    body.quorum_strict = rules.quorum.comparison == "more_than"
    body.pass_num, body.pass_den = rules.passing.numerator, rules.passing.denominator
    body.pass_strict = rules.passing.comparison == "more_than"
    body.amend_num, body.amend_den = rules.amendment.numerator, rules.amendment.denominator
    body.amend_strict = rules.amendment.comparison == "more_than"
    if "extraordinary_min_requesters" in rules.model_fields_set:
        body.extraordinary_min_requesters = rules.extraordinary_min_requesters


def body_out(body: Organization) -> BodyOut:
    return BodyOut(
        id=body.id,
        classification=BodyKind(body.classification),
        name_ko=body.name_ko,
        name_en=body.name_en,
        district_code=body.district_code,
        parent_id=body.parent_id,
        policy_fields=list(body.policy_fields or []),
        founding_date=body.founding_date,
        dissolution_date=body.dissolution_date,
        rules=rules_of(body),
        member_cap=body.member_cap,
        eligibility_role=MemberRole(body.eligibility_role) if body.eligibility_role else None,
        note=body.note,
        source=body.source,
        created_at=body.created_at,
        updated_at=body.updated_at,
    )


def body_out_of_row(row: Sequence[Any]) -> BodyOut:
    """`body_out` of a row of the body list's statement (repository.list_body_rows), unpacked by position."""
    (
        id_,
        classification,
        name_ko,
        name_en,
        district_code,
        parent_id,
        policy_fields,
        founding_date,
        dissolution_date,
        quorum_num,
        quorum_den,
        quorum_strict,
        pass_num,
        pass_den,
        pass_strict,
        amend_num,
        amend_den,
        amend_strict,
        extraordinary_min_requesters,
        member_cap,
        eligibility_role,
        note,
        source,
        created_at,
        updated_at,
    ) = row
    return BodyOut(
        id=id_,
        classification=BodyKind(classification),
        name_ko=name_ko,
        name_en=name_en,
        district_code=district_code,
        parent_id=parent_id,
        policy_fields=list(policy_fields or []),
        founding_date=founding_date,
        dissolution_date=dissolution_date,
        rules=DecisionRules(
            quorum=Threshold.of(quorum_num, quorum_den, quorum_strict),
            passing=Threshold.of(pass_num, pass_den, pass_strict),
            amendment=Threshold.of(amend_num, amend_den, amend_strict),
            extraordinary_min_requesters=extraordinary_min_requesters,
        ),
        member_cap=member_cap,
        eligibility_role=MemberRole(eligibility_role) if eligibility_role else None,
        note=note,
        source=source,
        created_at=created_at,
        updated_at=updated_at,
    )


def organization_out(org: Organization) -> OrganizationOut:
    return OrganizationOut(
        id=org.id,
        classification=OrganizationKind(org.classification),
        name_ko=org.name_ko,
        name_en=org.name_en,
        district_code=org.district_code,
        parent_id=org.parent_id,
        founding_date=org.founding_date,
        dissolution_date=org.dissolution_date,
        note=org.note,
        source=org.source,
        created_at=org.created_at,
        updated_at=org.updated_at,
    )


def is_body(org: Organization) -> bool:
    return org.classification in BODY_KINDS


async def get_body(session: AsyncSession, body_id: int, field: str = "path.body_id") -> Organization:
    body = await repository.get(session, body_id)
    if body is None or not is_body(body):
        raise BodyNotFound(body_id, field)
    return body


async def get_organization(
    session: AsyncSession, organization_id: int, field: str = "path.organization_id"
) -> Organization:
    org = await repository.get(session, organization_id)
    if org is None:
        raise OrganizationNotFound(organization_id, field)
    return org


async def _check_district(session: AsyncSession, code: str | None, field: str = "body.district_code") -> None:
    if code is not None and not await districts.district_exists(session, code):
        raise UnknownDistrict(code, field)


async def _check_parent(
    session: AsyncSession, child: Organization, parent_id: int, kinds: frozenset[str]
) -> Organization:
    parent = await repository.get(session, parent_id)
    if parent is None or parent.classification not in kinds:
        raise InvalidParent(
            f"no {'body' if kinds is BODY_KINDS else 'organization'} has id {parent_id}",
            detail_ko=f"id가 {parent_id}인 {'기구' if kinds is BODY_KINDS else '기관'}이(가) 없습니다.",
        )
    if child.id is not None and child.id in await repository.ancestors(session, parent_id):
        raise InvalidParent(
            f"body {parent_id} sits under body {child.id}: nesting must not loop",
            detail_ko=(
                f"기구 {parent_id}은(는) 기구 {child.id} 아래에 있습니다. 상하 관계가 순환할 수 없습니다."
            ),
        )
    if parent.district_code is not None and child.district_code not in (None, parent.district_code):
        raise InvalidParent(
            f"the parent belongs to district {parent.district_code}, not {child.district_code}",
            detail_ko=(
                f"상위 기구는 {child.district_code}이(가) 아닌 자치구 {parent.district_code}에 속합니다."
            ),
        )
    return parent


def _dates(org: Organization, founding: str | None, dissolution: str | None) -> None:
    org.founding_date, org.founding_on = founding, first_day(founding) if founding else None
    org.dissolution_date, org.dissolution_on = dissolution, last_day(dissolution) if dissolution else None
    if org.founding_on and org.dissolution_on and org.dissolution_on < org.founding_on:
        raise RuleViolation(
            f"must not be before the founding date {founding}",
            detail_ko=f"설립일 {founding}보다 앞설 수 없습니다.",
            field="body.dissolution_date",
        )


async def create_body(session: AsyncSession, *, data: BodyCreate, actor: Identity) -> BodyOut:
    body = Organization(
        classification=data.classification.value,
        name_ko=data.name_ko,
        name_en=data.name_en,
        district_code=data.district_code,
        policy_fields=data.policy_fields,
        member_cap=data.member_cap,
        eligibility_role=data.eligibility_role.value if data.eligibility_role else None,
        note=data.note,
        source=data.source,
    )
    if data.classification == BodyKind.steering_committee:
        body.member_cap = body.member_cap or DEFAULT_STEERING_CAP
        body.eligibility_role = body.eligibility_role or MemberRole.communication_lead.value
        if "extraordinary_min_requesters" not in data.rules.model_fields_set:
            body.extraordinary_min_requesters = DEFAULT_STEERING_REQUESTERS
    _dates(body, data.founding_date, data.dissolution_date)
    _set_rules(body, data.rules)
    if data.parent_id is not None:
        parent = await _check_parent(session, body, data.parent_id, BODY_KINDS)
        body.parent_id = parent.id
        body.district_code = body.district_code or parent.district_code
    ensure_can_write(actor, body.district_code, "a body without a district")
    await _check_district(session, body.district_code)
    await repository.add(session, body)
    return body_out(body)


async def update_body(session: AsyncSession, *, body_id: int, data: BodyUpdate, actor: Identity) -> BodyOut:
    body = await get_body(session, body_id)
    ensure_can_write(actor, body.district_code, "a body without a district")
    given = data.model_fields_set
    for name in ("name_ko", "policy_fields"):
        if name in given and getattr(data, name) is not None:
            setattr(body, name, getattr(data, name))
    for name in ("name_en", "member_cap", "note", "source"):
        if name in given:
            setattr(body, name, getattr(data, name))
    if "eligibility_role" in given:
        body.eligibility_role = data.eligibility_role.value if data.eligibility_role else None
    if "rules" in given and data.rules is not None:
        _set_rules(body, data.rules)
    if given & {"founding_date", "dissolution_date"}:
        founding = data.founding_date if "founding_date" in given else body.founding_date
        dissolution = data.dissolution_date if "dissolution_date" in given else body.dissolution_date
        _dates(body, founding, dissolution)
    if "parent_id" in given:
        body.parent_id = (
            (await _check_parent(session, body, data.parent_id, BODY_KINDS)).id if data.parent_id else None
        )
    await session.flush()
    await session.refresh(body)
    return body_out(body)


async def list_bodies(
    session: AsyncSession,
    *,
    cursor: str | None,
    limit: int,
    district: str | None,
    kind: BodyKind | None,
    parent_id: int | None,
    q: str | None,
    active_on: date | None,
) -> Page[BodyOut]:
    key = decode_cursor(cursor, (ID,))
    rows = await repository.list_body_rows(
        session,
        classifications=[kind.value] if kind else BODY_KINDS,
        after_id=int(key[0]) if key else None,
        limit=limit + 1,
        district=district,
        parent_id=parent_id,
        name=q,
        active_on=active_on,
    )
    return page_of([body_out_of_row(row) for row in rows], limit, lambda item: [item.id])


async def read_body(session: AsyncSession, body_id: int) -> BodyOut:
    return body_out(await get_body(session, body_id))


async def read_body_version(connection: asyncpg.Connection, body_id: int) -> tuple[BodyOut, int]:
    """A body with its version, in one statement on the request's asyncpg connection (shared.driver)."""
    row = await repository.ONE_BODY.fetchrow(connection, id=body_id)
    if row is None or row["classification"] not in BODY_KINDS:
        raise BodyNotFound(body_id, "path.body_id")
    return body_out_of_row(row[:-1]), row[-1]


async def read_body_cached(
    connect: Connect, versions: VersionReads, cache: VersionedCache, body_id: int
) -> tuple[bytes, int]:
    """A body's JSON and its version (the ETag): the pair cached while the registry is unchanged. A body is
    one `organizations` row, and every statement writing that table changes the registry's version
    (common/read_cache.py), so a cached body needs only the shared version read."""
    registry = await versions.current(connect)
    key = ("body", body_id)
    cached = cache.get(key, registry)
    if cached is not None:
        version, _, body = cached.partition(b"\n")
        return body, int(version)
    async with connect() as connection:
        out, row_version = await read_body_version(connection, body_id)
    body = out.model_dump_json().encode()
    cache.put(key, registry, b"%d\n%s" % (row_version, body))
    return body, row_version


async def create_organization(
    session: AsyncSession, *, data: OrganizationCreate, actor: Identity
) -> OrganizationOut:
    org = Organization(
        classification=data.classification.value,
        name_ko=data.name_ko,
        name_en=data.name_en,
        district_code=data.district_code,
        note=data.note,
        source=data.source,
    )
    _dates(org, data.founding_date, data.dissolution_date)
    if data.parent_id is not None:
        org.parent_id = (await _check_parent(session, org, data.parent_id, ORGANIZATION_KINDS)).id
    ensure_can_write(actor, org.district_code, "an organization without a district")
    await _check_district(session, data.district_code)
    await repository.add(session, org)
    return organization_out(org)


async def get_civil_organization(
    session: AsyncSession, organization_id: int, field: str = "path.organization_id"
) -> Organization:
    org = await get_organization(session, organization_id, field)
    if is_body(org):
        raise OrganizationNotFound(organization_id, field)
    return org


async def update_organization(
    session: AsyncSession, *, organization_id: int, data: OrganizationUpdate, actor: Identity
) -> OrganizationOut:
    org = await get_civil_organization(session, organization_id)
    ensure_can_write(actor, org.district_code, "an organization without a district")
    given = data.model_fields_set
    if "name_ko" in given and data.name_ko is not None:
        org.name_ko = data.name_ko
    for name in ("name_en", "note", "source"):
        if name in given:
            setattr(org, name, getattr(data, name))
    if given & {"founding_date", "dissolution_date"}:
        founding = data.founding_date if "founding_date" in given else org.founding_date
        dissolution = data.dissolution_date if "dissolution_date" in given else org.dissolution_date
        _dates(org, founding, dissolution)
    await session.flush()
    await session.refresh(org)
    return organization_out(org)


async def list_organizations(
    session: AsyncSession,
    *,
    cursor: str | None,
    limit: int,
    district: str | None,
    kind: OrganizationKind | None,
    q: str | None,
) -> Page[OrganizationOut]:
    key = decode_cursor(cursor, (ID,))
    rows = await repository.list_organizations(
        session,
        classifications=[kind.value] if kind else ORGANIZATION_KINDS,
        after_id=int(key[0]) if key else None,
        limit=limit + 1,
        district=district,
        name=q,
    )
    return page_of([organization_out(row) for row in rows], limit, lambda item: [item.id])


async def read_organization(session: AsyncSession, organization_id: int) -> OrganizationOut:
    return organization_out(await get_civil_organization(session, organization_id))


async def create_post(session: AsyncSession, *, body_id: int, data: PostCreate, actor: Identity) -> PostOut:
    body = await get_body(session, body_id)
    ensure_can_write(actor, body.district_code, "a body without a district")
    await _check_district(session, data.district_code)
    post = Post(organization_id=body.id, **data.model_dump(mode="json"))
    await repository.add(session, post)
    return PostOut.model_validate(post)


async def list_posts(session: AsyncSession, body_id: int) -> list[PostOut]:
    body = await get_body(session, body_id)
    return [PostOut.model_validate(post) for post in await repository.list_posts(session, [body.id])]


async def get_post(session: AsyncSession, post_id: int, field: str = "body.post_id") -> Post:
    post = await repository.get_post(session, post_id)
    if post is None:
        raise PostNotFound(post_id, field)
    return post
