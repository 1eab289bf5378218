"""Reads and writes of organizations (bodies and civil-society organisations) and their posts."""

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.councils.districts.models import District
from services.councils.organizations.models import Organization, Post


async def district_exists(session: AsyncSession, code: str) -> bool:
    return await session.get(District, code) is not None


async def get(session: AsyncSession, organization_id: int) -> Organization | None:
    return await session.get(Organization, organization_id)


async def add(session: AsyncSession, row: Organization | Post) -> None:
    session.add(row)
    await session.flush()
    await session.refresh(row)


async def list_organizations(
    session: AsyncSession,
    *,
    classifications: Collection[str],
    after_id: int | None,
    limit: int,
    district: str | None = None,
    parent_id: int | None = None,
    name: str | None = None,
    active_on: date | None = None,
) -> Sequence[Organization]:
    query = (
        select(Organization)
        .where(Organization.classification.in_(classifications))
        .order_by(Organization.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Organization.id > after_id)
    if district is not None:
        query = query.where(Organization.district_code == district)
    if parent_id is not None:
        query = query.where(Organization.parent_id == parent_id)
    if name:
        pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Organization.name_ko.ilike(pattern), Organization.name_en.ilike(pattern)))
    if active_on is not None:
        query = query.where(
            or_(Organization.founding_on.is_(None), Organization.founding_on <= active_on),
            or_(Organization.dissolution_on.is_(None), Organization.dissolution_on >= active_on),
        )
    return (await session.scalars(query)).all()


async def get_many(session: AsyncSession, organization_ids: Collection[int]) -> Sequence[Organization]:
    query = select(Organization).where(Organization.id.in_(organization_ids)).order_by(Organization.id)
    return (await session.scalars(query)).all()


async def ancestors(session: AsyncSession, organization_id: int) -> list[int]:
    """Ids from the organization up to its root (bounded, so a corrupt cycle cannot loop forever)."""
    chain: list[int] = []
    current: int | None = organization_id
    while current is not None and len(chain) < 100:
        chain.append(current)
        current = await session.scalar(select(Organization.parent_id).where(Organization.id == current))
    return chain


async def children(session: AsyncSession, organization_id: int) -> Sequence[Organization]:
    query = select(Organization).where(Organization.parent_id == organization_id).order_by(Organization.id)
    return (await session.scalars(query)).all()


async def list_posts(session: AsyncSession, organization_ids: Collection[int]) -> Sequence[Post]:
    query = select(Post).where(Post.organization_id.in_(organization_ids)).order_by(Post.id)
    return (await session.scalars(query)).all()


async def get_post(session: AsyncSession, post_id: int) -> Post | None:
    return await session.get(Post, post_id)
