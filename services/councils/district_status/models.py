from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.councils.models import Base


class DistrictStatus(Base):
    """What one record (a source, as of a date) says about a district's governance set-up. Records may
    disagree; each is kept as given."""

    __tablename__ = "district_status"
    __table_args__ = (
        UniqueConstraint("district_code", "as_of", "source"),
        CheckConstraint("support_officers_hired >= 0", name="officers_not_negative"),
        CheckConstraint("forums_held >= 0", name="forums_not_negative"),
        CheckConstraint("ordinance_status IN ('enacted', 'pending', 'none')", name="ordinance_status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    as_of: Mapped[str] = mapped_column(Text)
    as_of_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    support_officers_hired: Mapped[int | None] = mapped_column(Integer)
    coordinator_appointed: Mapped[bool | None] = mapped_column(Boolean)
    coordinator_note: Mapped[str | None] = mapped_column(Text)
    ordinance_status: Mapped[str | None] = mapped_column(Text)
    ordinance_enacted_date: Mapped[str | None] = mapped_column(Text)
    ordinance_note: Mapped[str | None] = mapped_column(Text)
    forums_held: Mapped[int | None] = mapped_column(Integer)
    bodies: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
