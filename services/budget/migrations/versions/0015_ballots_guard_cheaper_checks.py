"""The ballots' guard checks the same things with cheaper queries (a million-ballot import runs it 100 times).

Measured with EXPLAIN ANALYZE on 10,000 imported ballots (bench/PROFILE_seoul_vote.md, 2026-12-03): the voter
groups checked per distinct (election, group) instead of per ballot (6.3-6.7 → 1.6-1.7 ms); the projects'
pairs made distinct with unnest in the select list (17.5-19.9 → 9.6-10.8 ms); a project named twice found by
``array_position`` (the first subscript holding the same id differs from this one) instead of a sorted
``count(DISTINCT)`` per ballot (23.6-24.5 → 17.2-18.6 ms), whatever the array's first subscript. An array of
more than one dimension never gets this far: the CHECK ck_ballots_no_null_project (array_position) refuses it.
Same errors, same codes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from importlib import import_module

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0013 keeps 0012's checks word for word after its one-row fast path: the same three changes apply to it.
GUARD_0013: str = import_module("services.budget.migrations.versions.0013_ballot_triggers_one_pass").GUARD

CHANGES = (
    (
        """    FROM new_ballots n
    LEFT JOIN budget.voter_groups g ON g.election_id = n.election_id AND g.code = n.voter_group""",
        """    FROM (SELECT DISTINCT election_id, voter_group FROM new_ballots) n
    LEFT JOIN budget.voter_groups g ON g.election_id = n.election_id AND g.code = n.voter_group""",
    ),
    (
        "    FROM (SELECT DISTINCT n.election_id, x AS project_id"
        " FROM new_ballots n, unnest(n.project_ids) AS x) item",
        """    FROM (SELECT DISTINCT election_id, unnest(project_ids) AS project_id FROM new_ballots) item""",
    ),
    (
        "    WHERE cardinality(n.project_ids) <> (SELECT count(DISTINCT x) FROM unnest(n.project_ids) AS x)",
        """    WHERE EXISTS (
        SELECT 1 FROM generate_subscripts(n.project_ids, 1) AS i
        WHERE array_position(n.project_ids, n.project_ids[i]) <> i)""",
    ),
)


def _guard() -> str:
    guard = GUARD_0013
    for old, new in CHANGES:
        assert guard.count(old) == 1, old
        guard = guard.replace(old, new)
    return guard


def upgrade() -> None:
    op.execute(_guard())


def downgrade() -> None:
    op.execute(GUARD_0013)
