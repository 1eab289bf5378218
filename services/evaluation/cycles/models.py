from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from services.evaluation.models import Base


class EvaluationCycle(Base):
    """A yearly evaluation of one funded programme (e.g. the Civic Cooperation Platforms, year 1)."""

    __tablename__ = "cycles"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(Text)
    name_ko: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
