"""The ballots' statement triggers, cheaper for a web ballot: the same checks and refusals, fewer queries.

Measured (bench/bench_ballot_triggers.py, one connection): PostgreSQL spent ~0.35 ms of CPU per web ballot, of
which ~0.25 ms in `ballots_guard` and ~0.03 ms in the tally's stale mark (0011), for one row. An upsert
(INSERT … ON CONFLICT DO UPDATE) fires the INSERT and the UPDATE statement triggers both, one of them on no
rows, so every ballot ran the guard's nine queries twice and the stale mark three times. Now:
* the guard returns at once when the statement wrote no row;
* for a statement of one row (a web ballot), one statement locks its election FOR KEY SHARE (as 0012),
  drops its kept tally and recognises a ballot that keeps every rule; only when it finds anything wrong,
  and for every statement of several rows (an import: no extra pass over its million rows), do 0012's
  checks run, unchanged, and name what is wrong, so every refusal and its message is as before;
* the tally's stale mark on insert and update is the guard's (the UPDATE trigger now also references the
  old rows, so a ballot moved out of an election drops that election's tally too) instead of three more
  trigger functions. DELETE and TRUNCATE keep 0011's triggers.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_0012 = importlib.import_module("services.budget.migrations.versions.0012_ballots_election_check")
_0011 = importlib.import_module("services.budget.migrations.versions.0011_ballot_tallies")

# Every check after the fast path is 0012's, word for word.
_CHECKS_0012 = _0012.GUARD.split("    IF FOUND THEN\n        RAISE EXCEPTION 'election % does not exist'")[1]

GUARD = (
    """
CREATE OR REPLACE FUNCTION budget.ballots_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    named integer[];
    importing boolean;
    fine boolean;
    written integer;
BEGIN
    -- An upsert fires the INSERT and the UPDATE statement triggers both; one of them wrote no row.
    SELECT count(*) INTO written FROM (SELECT FROM new_ballots LIMIT 2) AS x;
    IF written = 0 THEN
        RETURN NULL;
    END IF;
    -- The tally kept for an election (0011) is stale once its ballots change: here for the elections the
    -- old rows named (an update may move a ballot out of one), below for those the new rows name.
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM budget.ballot_tallies t WHERE t.election_id IN (SELECT election_id FROM old_ballots);
    END IF;
    IF written = 1 THEN
        -- A web ballot (one row) keeping every rule, in one statement: its election locked FOR KEY SHARE
        -- as a foreign key would (a concurrent delete waits; a deleted one is not returned), its kept
        -- tally dropped, and the ballot checked against the locked row: the election takes no import and
        -- is open, the voter group exists, the projects are the election's and distinct (as many matches
        -- as items), the ballot rules hold. Anything else, and every statement of several rows (an import:
        -- its ballots are exempt from some rules), goes through 0012's checks below, which name what is
        -- wrong.
        WITH locked AS MATERIALIZED (
            SELECT e.id, e.accepting_import, e.opens_at, e.closes_at, e.ballot_type, e.min_length,
                e.max_length, e.max_points, e.max_total_cost
            FROM budget.elections e
            WHERE e.id IN (SELECT election_id FROM new_ballots)
            FOR KEY SHARE OF e
        ), stale AS (
            DELETE FROM budget.ballot_tallies t WHERE t.election_id IN (SELECT election_id FROM new_ballots)
        )
        SELECT NOT EXISTS (
            SELECT 1
            FROM new_ballots n
            LEFT JOIN locked e ON e.id = n.election_id
            LEFT JOIN budget.voter_groups g ON g.election_id = n.election_id AND g.code = n.voter_group
            WHERE e.id IS NULL OR g.code IS NULL OR e.accepting_import
                OR NOT (clock_timestamp() >= e.opens_at AND clock_timestamp() < e.closes_at)
                OR cardinality(n.project_ids) <> (
                    SELECT count(*) FROM budget.election_projects p
                    WHERE p.election_id = n.election_id AND p.project_id = ANY (n.project_ids))
                OR cardinality(n.project_ids) < e.min_length
                OR cardinality(n.project_ids) > e.max_length
                OR (n.points IS NULL) <> (e.ballot_type <> 'cumulative')
                OR (SELECT sum(x) FROM unnest(n.points) AS x) > e.max_points
                OR (SELECT min(x) FROM unnest(n.points) AS x) <= 0
                OR (e.max_total_cost IS NOT NULL AND (
                    SELECT sum(p.cost) FROM budget.election_projects p
                    WHERE p.election_id = n.election_id AND p.project_id = ANY (n.project_ids)
                ) > e.max_total_cost)
        ) INTO fine;
        IF fine THEN
            RETURN NULL;
        END IF;
    END IF;
    -- The election every new ballot names exists, and stays until this transaction ends (a foreign key did
    -- this row by row: 1,000,000 checks for one import). Deleting an election deletes its ballots (0012).
    named := ARRAY(SELECT DISTINCT election_id FROM new_ballots);
    PERFORM 1 FROM budget.elections e WHERE e.id = ANY (named) FOR KEY SHARE OF e;
    DELETE FROM budget.ballot_tallies t WHERE t.election_id = ANY (named);
    SELECT x AS election_id INTO bad
    FROM unnest(named) AS x
    WHERE NOT EXISTS (SELECT 1 FROM budget.elections e WHERE e.id = x)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'election % does not exist'"""
    + _CHECKS_0012
)

UPGRADE = (
    GUARD,
    "DROP TRIGGER ballot_tally_stale_insert ON budget.ballots",
    "DROP TRIGGER ballot_tally_stale_update_o ON budget.ballots",
    "DROP TRIGGER ballot_tally_stale_update_n ON budget.ballots",
    "DROP TRIGGER ballots_guard_update ON budget.ballots",
    "CREATE TRIGGER ballots_guard_update AFTER UPDATE ON budget.ballots"
    " REFERENCING OLD TABLE AS old_ballots NEW TABLE AS new_ballots"
    " FOR EACH STATEMENT EXECUTE FUNCTION budget.ballots_guard()",
)

DOWNGRADE = (
    "DROP TRIGGER ballots_guard_update ON budget.ballots",
    "CREATE TRIGGER ballots_guard_update AFTER UPDATE ON budget.ballots REFERENCING NEW TABLE AS new_ballots"
    " FOR EACH STATEMENT EXECUTE FUNCTION budget.ballots_guard()",
    _0012.GUARD,
    *(
        f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION budget.ballot_tally_stale()"
        for name, when in _0011.TRIGGERS.items()
        if "INSERT" in when or "UPDATE" in when
    ),
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
