"""A data version of the registry tables a membership search page reads, for replicas' response caches.

`registry_version` holds one value that changes with every statement writing `memberships`,
`organizations` or `persons`. A statement-level trigger makes the change, in the writer's transaction, so
the new value is visible exactly when the data is. Every process that caches a page (services/councils/
common/read_cache.py) reads the value, one primary-key read, before it serves a cached page and keeps only
pages built at the value it read: a write committed through any replica is seen by the next read through
any other.

The value comes from a sequence, not `version + 1`: a rolled-back write never makes a value that a later
write takes again (the tests read inside transactions they roll back). The trigger runs BEFORE each
statement, so a writer takes the row's lock before the row locks of its statement (the membership rules
trigger's among them), always in that order; registry writes wait for one another from their first write
to their commit, which suits their rate (an administrator's edits, a year's records loaded).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "councils"
TABLES = ("memberships", "organizations", "persons")


def upgrade() -> None:
    op.execute(f"CREATE SEQUENCE {SCHEMA}.registry_version_seq")
    op.execute(
        f"""
CREATE TABLE {SCHEMA}.registry_version (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL DEFAULT nextval('{SCHEMA}.registry_version_seq')
)"""
    )
    op.execute(f"INSERT INTO {SCHEMA}.registry_version DEFAULT VALUES")
    op.execute(
        f"""
CREATE FUNCTION {SCHEMA}.bump_registry_version() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE {SCHEMA}.registry_version SET version = nextval('{SCHEMA}.registry_version_seq');
    RETURN NULL;
END
$fn$"""
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER bump_registry_version BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {SCHEMA}.{table} FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.bump_registry_version()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER bump_registry_version ON {SCHEMA}.{table}")
    op.execute(f"DROP FUNCTION {SCHEMA}.bump_registry_version()")
    op.execute(f"DROP TABLE {SCHEMA}.registry_version")
    op.execute(f"DROP SEQUENCE {SCHEMA}.registry_version_seq")
