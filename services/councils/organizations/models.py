from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.councils.models import Base


class Organization(Base):
    """A Popolo organization: a governance body (council, TFT, steering committee…) or a civil-society
    organisation or consortium. Bodies carry their decision rules as data (fractions as integers)."""

    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("quorum_num BETWEEN 0 AND quorum_den AND quorum_den > 0", name="quorum_fraction"),
        CheckConstraint("pass_num BETWEEN 0 AND pass_den AND pass_den > 0", name="pass_fraction"),
        CheckConstraint("amend_num BETWEEN 0 AND amend_den AND amend_den > 0", name="amend_fraction"),
        CheckConstraint("member_cap IS NULL OR member_cap > 0", name="member_cap_positive"),
        CheckConstraint(
            "extraordinary_min_requesters IS NULL OR extraordinary_min_requesters >= 1",
            name="extraordinary_min_requesters_positive",
        ),
        CheckConstraint("dissolution_on IS NULL OR dissolution_on >= founding_on", name="dissolved_after"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    classification: Mapped[str] = mapped_column(String(40))
    name_ko: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    policy_fields: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    founding_date: Mapped[str | None] = mapped_column(Text)
    founding_on: Mapped[date | None] = mapped_column(Date)
    dissolution_date: Mapped[str | None] = mapped_column(Text)
    dissolution_on: Mapped[date | None] = mapped_column(Date)
    quorum_num: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    quorum_den: Mapped[int] = mapped_column(SmallInteger, server_default="2")
    quorum_strict: Mapped[bool] = mapped_column(Boolean, server_default="true")
    pass_num: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    pass_den: Mapped[int] = mapped_column(SmallInteger, server_default="2")
    pass_strict: Mapped[bool] = mapped_column(Boolean, server_default="true")
    amend_num: Mapped[int] = mapped_column(SmallInteger, server_default="2")
    amend_den: Mapped[int] = mapped_column(SmallInteger, server_default="3")
    amend_strict: Mapped[bool] = mapped_column(Boolean, server_default="false")
    member_cap: Mapped[int | None] = mapped_column(Integer)
    # Fewest members whose request calls an extraordinary meeting (steering committee: 2, 운영규정 제5조③);
    # NULL: the body has no such rule (migration 0005).
    extraordinary_min_requesters: Mapped[int | None] = mapped_column(SmallInteger)
    eligibility_role: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Post(Base):
    """A Popolo post: a position in an organization, e.g. 은평구's communication-lead seat in the plenary."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    label: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"))
    seats: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
