"""Meetings: schedules, meetings, agenda items, documents, attendance and motions with their counts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "councils"


def _fk(table: str, **kwargs: object) -> sa.ForeignKey:
    return sa.ForeignKey(f"{SCHEMA}.{table}", **kwargs)  # type: ignore[arg-type]


def _now() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "meeting_schedules",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("organization_id", sa.Integer(), _fk("organizations.id"), nullable=False, index=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("interval_months", sa.SmallInteger(), nullable=False),
        sa.Column("week_of_month", sa.SmallInteger(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("duration_minutes", sa.Integer()),
        sa.Column("place", sa.Text()),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date()),
        sa.Column("note", sa.Text()),
        _now(),
        sa.CheckConstraint("interval_months BETWEEN 1 AND 12", name="interval_range"),
        sa.CheckConstraint("week_of_month = -1 OR week_of_month BETWEEN 1 AND 5", name="week_range"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="valid_period"),
        schema=SCHEMA,
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("organization_id", sa.Integer(), _fk("organizations.id"), nullable=False, index=True),
        sa.Column("schedule_id", sa.Integer(), _fk("meeting_schedules.id")),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("ends_at", sa.DateTime(timezone=True)),
        sa.Column("place", sa.Text()),
        sa.Column("status", sa.Text(), server_default="scheduled", nullable=False),
        sa.Column("note", sa.Text()),
        _now(),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("organization_id", "starts_at", name="uq_meetings_organization_id_starts_at"),
        sa.CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("kind IN ('regular', 'extraordinary', 'steering', 'plenary')", name="kind_known"),
        sa.CheckConstraint("status IN ('scheduled', 'held', 'cancelled')", name="status_known"),
        schema=SCHEMA,
    )
    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column(
            "meeting_id", sa.Integer(), _fk("meetings.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text()),
        sa.Column("description", sa.Text()),
        sa.UniqueConstraint("meeting_id", "position", name="uq_agenda_items_meeting_id_position"),
        schema=SCHEMA,
    )
    op.create_table(
        "meeting_documents",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column(
            "meeting_id", sa.Integer(), _fk("meetings.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("content", sa.Text()),
        _now(),
        sa.CheckConstraint("kind IN ('agenda', 'minutes', 'attachment')", name="kind_known"),
        schema=SCHEMA,
    )
    op.create_table(
        "attendance",
        sa.Column("meeting_id", sa.Integer(), _fk("meetings.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("person_id", sa.Integer(), _fk("persons.id"), primary_key=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.CheckConstraint("status IN ('present', 'absent', 'excused', 'observer')", name="status_known"),
        schema=SCHEMA,
    )
    op.create_table(
        "motions",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), _fk("meetings.id"), nullable=False, index=True),
        sa.Column("agenda_item_id", sa.Integer(), _fk("agenda_items.id")),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text()),
        sa.Column("classification", sa.Text(), server_default="ordinary", nullable=False),
        sa.Column("yes_count", sa.Integer()),
        sa.Column("no_count", sa.Integer()),
        sa.Column("abstain_count", sa.Integer()),
        _now(),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("classification IN ('ordinary', 'rule_amendment')", name="classification_known"),
        sa.CheckConstraint(
            "(yes_count IS NULL) = (no_count IS NULL) AND (no_count IS NULL) = (abstain_count IS NULL)",
            name="counts_together",
        ),
        sa.CheckConstraint(
            "yes_count >= 0 AND no_count >= 0 AND abstain_count >= 0", name="counts_not_negative"
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in (
        "motions",
        "attendance",
        "meeting_documents",
        "agenda_items",
        "meetings",
        "meeting_schedules",
    ):
        op.drop_table(table, schema=SCHEMA)
