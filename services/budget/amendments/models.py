from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.budget.models import Base


class Amendment(Base):
    """A change of a running project's budget, routed to the district council or to the city (0008)."""

    __tablename__ = "amendments"
    __table_args__ = (
        # At most one open amendment (requested, or waiting for the council check) per project.
        Index(
            "uq_amendments_one_open_per_project",
            "project_id",
            unique=True,
            postgresql_where=text("status IN ('pending_council', 'requested')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    route: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    transfer: Mapped[bool] = mapped_column(Boolean)
    reason_ko: Mapped[str] = mapped_column(Text)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    baseline_krw: Mapped[int] = mapped_column(BigInteger)
    budget_before_krw: Mapped[int] = mapped_column(BigInteger)
    budget_after_krw: Mapped[int] = mapped_column(BigInteger)
    council_decision_id: Mapped[int | None] = mapped_column(Integer)
    requested_on: Mapped[date] = mapped_column(Date)
    council_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    council_check_note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
