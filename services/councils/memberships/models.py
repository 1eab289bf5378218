from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import DATERANGE, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.councils.common.vocab import EndReason, MemberRole, Sector, sql_list
from services.councils.models import Base


class Membership(Base):
    """A Popolo membership: a person (or a member organisation, or a seat the record does not name) in an
    organization, in a role, for a sector, over a period. Rules on overlap, caps and eligibility live in
    PostgreSQL (an exclusion constraint and the `membership_rules` trigger of migration 0002)."""

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint(f"role IN ({sql_list(MemberRole)})", name="role_known"),
        CheckConstraint(f"sector IN ({sql_list(Sector)})", name="sector_known"),
        CheckConstraint(
            f"end_reason IS NULL OR end_reason IN ({sql_list(EndReason)})", name="end_reason_known"
        ),
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="ends_after_start"),
        CheckConstraint("end_reason IS NULL OR end_on IS NOT NULL", name="end_reason_needs_end"),
        CheckConstraint("person_id IS NULL OR member_organization_id IS NULL", name="one_member"),
        ExcludeConstraint(
            ("person_id", "="),
            ("organization_id", "="),
            ("role", "="),
            ("period", "&&"),
            name="ex_memberships_person_role_overlap",
            using="gist",
            where="person_id IS NOT NULL",
        ),
        ExcludeConstraint(
            ("member_organization_id", "="),
            ("organization_id", "="),
            ("role", "="),
            ("period", "&&"),
            name="ex_memberships_member_org_role_overlap",
            using="gist",
            where="member_organization_id IS NOT NULL",
        ),
        Index("ix_memberships_role_district", "role", "district_code"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    member_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    role: Mapped[str] = mapped_column(Text)
    sector: Mapped[str] = mapped_column(Text)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), index=True)
    label: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[str] = mapped_column(Text)
    start_on: Mapped[date] = mapped_column(Date)
    end_date: Mapped[str | None] = mapped_column(Text)
    end_on: Mapped[date | None] = mapped_column(Date)
    period: Mapped[Any] = mapped_column(
        DATERANGE, Computed("daterange(start_on, end_on, '[]')", persisted=True)
    )
    end_reason: Mapped[str | None] = mapped_column(Text)
    end_note: Mapped[str | None] = mapped_column(Text)
    appointed_by: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
