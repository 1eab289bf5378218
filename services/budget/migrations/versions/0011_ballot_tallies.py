"""An import's ballot tally: what greedy reads of an imported election, kept with it.

Greedy needs each project's supporters and score and the ballots' digest; counting them over a city-wide
vote (a million ballots, ~700,000 distinct) takes PostgreSQL seconds on every computed outcome. The import
has every ballot in hand, so it writes the tally once. Any later change to an election's ballots (insert,
update, delete, truncate) deletes its tally (statement-level triggers), and outcomes count again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"

STALE = """
CREATE FUNCTION budget.ballot_tally_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM budget.ballot_tallies;
    ELSE
        DELETE FROM budget.ballot_tallies t WHERE t.election_id IN (SELECT election_id FROM changed_ballots);
    END IF;
    RETURN NULL;
END $$
"""

TRIGGERS = {
    "ballot_tally_stale_insert": "AFTER INSERT ON budget.ballots REFERENCING NEW TABLE AS changed_ballots",
    "ballot_tally_stale_update_o": "AFTER UPDATE ON budget.ballots REFERENCING OLD TABLE AS changed_ballots",
    "ballot_tally_stale_update_n": "AFTER UPDATE ON budget.ballots REFERENCING NEW TABLE AS changed_ballots",
    "ballot_tally_stale_delete": "AFTER DELETE ON budget.ballots REFERENCING OLD TABLE AS changed_ballots",
    "ballot_tally_stale_truncate": "AFTER TRUNCATE ON budget.ballots",
}


def upgrade() -> None:
    op.create_table(
        "ballot_tallies",
        sa.Column(
            "election_id",
            sa.Integer(),
            sa.ForeignKey(f"{SCHEMA}.elections.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("ballot_digest", sa.Text(), nullable=False),
        # {voter group: ballots}; [[voter group, project id, supporters, sum of utilities (decimal text)]]
        sa.Column("sizes", postgresql.JSONB(), nullable=False),
        sa.Column("supports", postgresql.JSONB(), nullable=False),
        schema=SCHEMA,
    )
    op.execute(STALE)
    for name, when in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION budget.ballot_tally_stale()"
        )


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON budget.ballots")
    op.execute("DROP FUNCTION budget.ballot_tally_stale()")
    op.drop_table("ballot_tallies", schema=SCHEMA)
