from datetime import date, datetime

from sqlalchemy import (
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
from sqlalchemy.orm import Mapped, mapped_column

from services.councils.models import Base


class CivicPlatform(Base):
    """A district's Civic Cooperation Platform (시민협력플랫폼), run by a consortium of local organisations.
    The consortium's members, representatives and managers are memberships of the consortium."""

    __tablename__ = "civic_platforms"
    __table_args__ = (
        UniqueConstraint("district_code", "consortium_id"),
        CheckConstraint("evaluation_round IN (1, 2)", name="round_known"),
        CheckConstraint("youth_activists >= 0", name="youth_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    name_ko: Mapped[str] = mapped_column(Text)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    lead_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    started_date: Mapped[str | None] = mapped_column(Text)
    started_on: Mapped[date | None] = mapped_column(Date)
    evaluation_round: Mapped[int | None] = mapped_column(Integer)
    youth_activists: Mapped[int | None] = mapped_column(Integer)
    offline_hub: Mapped[str | None] = mapped_column(Text)
    online_hub: Mapped[str | None] = mapped_column(Text)
    main_activities: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
