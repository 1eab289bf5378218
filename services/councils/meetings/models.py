from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    SmallInteger,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.councils.models import Base

MEETING_KINDS = ("regular", "extraordinary", "steering", "plenary")


class MeetingSchedule(Base):
    """A body's regular meetings, e.g. the steering committee: monthly, 4th Thursday, 10:00."""

    __tablename__ = "meeting_schedules"
    __table_args__ = (
        CheckConstraint("interval_months BETWEEN 1 AND 12", name="interval_range"),
        CheckConstraint("week_of_month = -1 OR week_of_month BETWEEN 1 AND 5", name="week_range"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="valid_period"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    interval_months: Mapped[int] = mapped_column(SmallInteger)
    week_of_month: Mapped[int] = mapped_column(SmallInteger)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[time] = mapped_column(Time)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    place: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("organization_id", "starts_at"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("kind IN ('regular', 'extraordinary', 'steering', 'plenary')", name="kind_known"),
        CheckConstraint("status IN ('scheduled', 'held', 'cancelled')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_schedules.id"))
    kind: Mapped[str] = mapped_column(Text)
    # The resolution that called an extraordinary meeting (plenary: a passed steering-committee motion).
    called_by_motion_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "motions.id",
            use_alter=True,
            name="fk_meetings_called_by_motion_id_motions",
            ondelete="RESTRICT",
        ),
        index=True,
    )
    title: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    place: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="scheduled")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class MeetingRequester(Base):
    """A person who requested an extraordinary meeting (steering committee: 2 or more of its members)."""

    __tablename__ = "meeting_requesters"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True, index=True)


class AgendaItem(Base):
    __tablename__ = "agenda_items"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class MeetingDocument(Base):
    __tablename__ = "meeting_documents"
    __table_args__ = (CheckConstraint("kind IN ('agenda', 'minutes', 'attachment')", name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (
        CheckConstraint("status IN ('present', 'absent', 'excused', 'observer')", name="status_known"),
    )

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    status: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class Motion(Base):
    """A Popolo motion with its one vote event's counts (yes, no, abstain)."""

    __tablename__ = "motions"
    __table_args__ = (
        CheckConstraint("classification IN ('ordinary', 'rule_amendment')", name="classification_known"),
        CheckConstraint(
            "(yes_count IS NULL) = (no_count IS NULL) AND (no_count IS NULL) = (abstain_count IS NULL)",
            name="counts_together",
        ),
        CheckConstraint(
            "yes_count >= 0 AND no_count >= 0 AND abstain_count >= 0", name="counts_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    classification: Mapped[str] = mapped_column(Text, server_default="ordinary")
    yes_count: Mapped[int | None] = mapped_column(Integer)
    no_count: Mapped[int | None] = mapped_column(Integer)
    abstain_count: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
