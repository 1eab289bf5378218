"""The ballots' guard finds a project named twice with ``array_to_tsvector`` (C, one sort per ballot).

A tsvector keeps each distinct lexeme once, compared byte for byte as text's equality is: a ballot names a
project twice exactly when its tsvector has fewer lexemes than the array has items. Measured on 200,000
imported ballots (bench/PROFILE_seoul_vote.md, 2026-12-03, section four): 0015's ``array_position`` per
subscript 430-540 ms, this 110-130 ms. A lexeme is at most 2,047 bytes, so a ballot whose ids together reach
2,048 bytes keeps 0015's query (array_to_tsvector would fail on a long id instead of answering). The check
runs after the projects are known to be the election's: no NULL, empty or space-holding item gets here.
Same errors, same codes.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from importlib import import_module

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUARD_0015: str = import_module(
    "services.budget.migrations.versions.0015_ballots_guard_cheaper_checks"
)._guard()

OLD = """    WHERE EXISTS (
        SELECT 1 FROM generate_subscripts(n.project_ids, 1) AS i
        WHERE array_position(n.project_ids, n.project_ids[i]) <> i)"""
NEW = """    WHERE CASE WHEN octet_length(array_to_string(n.project_ids, '')) < 2048
        THEN length(array_to_tsvector(n.project_ids)) <> cardinality(n.project_ids)
        ELSE EXISTS (
            SELECT 1 FROM generate_subscripts(n.project_ids, 1) AS i
            WHERE array_position(n.project_ids, n.project_ids[i]) <> i)
        END"""


def _guard() -> str:
    assert GUARD_0015.count(OLD) == 1
    return GUARD_0015.replace(OLD, NEW)


def upgrade() -> None:
    op.execute(_guard())


def downgrade() -> None:
    op.execute(GUARD_0015)
