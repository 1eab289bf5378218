"""Ballots name their election through the statement-level guard instead of a row-by-row foreign key.

Profiling an import of a million ballots (bench/PROFILE_seoul_vote.md) put the foreign key's check of each
inserted row (one lookup and row lock of the same election per ballot) at about as much as the COPY itself.
The ballots' statement-level guard (0003) now checks, once per statement, that every election the new ballots
name exists, and locks those elections FOR KEY SHARE as the foreign key did, so a concurrent delete waits.
What the foreign key also did is kept by triggers on elections: deleting an election deletes its ballots
(ON DELETE CASCADE), changing the id of an election that has ballots is refused, truncating elections
truncates ballots.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "budget"
FOREIGN_KEY = "fk_ballots_election_id_elections"

GUARD = """
CREATE OR REPLACE FUNCTION budget.ballots_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    named integer[];
    importing boolean;
BEGIN
    -- The election every new ballot names exists, and stays until this transaction ends (a foreign key did
    -- this row by row: 1,000,000 checks for one import). Deleting an election deletes its ballots (below).
    named := ARRAY(SELECT DISTINCT election_id FROM new_ballots);
    PERFORM 1 FROM budget.elections e WHERE e.id = ANY (named) FOR KEY SHARE OF e;
    SELECT x AS election_id INTO bad
    FROM unnest(named) AS x
    WHERE NOT EXISTS (SELECT 1 FROM budget.elections e WHERE e.id = x)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'election % does not exist', bad.election_id USING ERRCODE = '23503';
    END IF;
    -- Only elections taking an import: the window and ballot-rule checks below would find nothing (both
    -- exempt such ballots), so a million imported rows are not joined to their election twice for it.
    importing := NOT EXISTS (
        SELECT 1 FROM budget.elections e WHERE e.id = ANY (named) AND NOT e.accepting_import);
    IF NOT importing THEN
        SELECT n.election_id INTO bad
        FROM new_ballots n JOIN budget.elections e ON e.id = n.election_id
        WHERE NOT e.accepting_import
            AND NOT (clock_timestamp() >= e.opens_at AND clock_timestamp() < e.closes_at)
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'election % is not open for ballots', bad.election_id USING ERRCODE = 'P0001';
        END IF;
    END IF;
    SELECT n.election_id, n.voter_group INTO bad
    FROM new_ballots n
    LEFT JOIN budget.voter_groups g ON g.election_id = n.election_id AND g.code = n.voter_group
    WHERE g.code IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'election % has no voter group %', bad.election_id, bad.voter_group
            USING ERRCODE = 'P0001';
    END IF;
    -- Distinct (election, project) pairs first: a bulk import probes each project once, not per ballot.
    SELECT item.election_id, item.project_id INTO bad
    FROM (SELECT DISTINCT n.election_id, x AS project_id FROM new_ballots n, unnest(n.project_ids) AS x) item
    LEFT JOIN budget.election_projects p
        ON p.election_id = item.election_id AND p.project_id = item.project_id
    WHERE p.project_id IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'election % has no project %', bad.election_id, bad.project_id
            USING ERRCODE = 'P0001';
    END IF;
    SELECT n.election_id INTO bad
    FROM new_ballots n
    WHERE cardinality(n.project_ids) <> (SELECT count(DISTINCT x) FROM unnest(n.project_ids) AS x)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a ballot of election % lists a project twice', bad.election_id
            USING ERRCODE = 'P0001';
    END IF;
    -- Imported ballots are historical records: their election's ballot rules are kept, not re-enforced.
    IF importing THEN
        RETURN NULL;
    END IF;
    SELECT n.election_id INTO bad
    FROM new_ballots n JOIN budget.elections e ON e.id = n.election_id
    WHERE NOT e.accepting_import AND (
        cardinality(n.project_ids) < e.min_length
        OR cardinality(n.project_ids) > e.max_length
        OR (n.points IS NULL) <> (e.ballot_type <> 'cumulative')
        OR (SELECT sum(x) FROM unnest(n.points) AS x) > e.max_points
        OR (SELECT min(x) FROM unnest(n.points) AS x) <= 0
        OR (e.max_total_cost IS NOT NULL AND (
            SELECT sum(p.cost) FROM budget.election_projects p
            WHERE p.election_id = n.election_id AND p.project_id = ANY (n.project_ids)
        ) > e.max_total_cost)
    )
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a ballot breaks the ballot rules of election %', bad.election_id
            USING ERRCODE = 'P0001';
    END IF;
    RETURN NULL;
END $$
"""

GUARD_0003 = """
CREATE OR REPLACE FUNCTION budget.ballots_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.election_id INTO bad
    FROM new_ballots n JOIN budget.elections e ON e.id = n.election_id
    WHERE NOT e.accepting_import AND NOT (clock_timestamp() >= e.opens_at AND clock_timestamp() < e.closes_at)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'election % is not open for ballots', bad.election_id USING ERRCODE = 'P0001';
    END IF;
    SELECT n.election_id, n.voter_group INTO bad
    FROM new_ballots n
    LEFT JOIN budget.voter_groups g ON g.election_id = n.election_id AND g.code = n.voter_group
    WHERE g.code IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'election % has no voter group %', bad.election_id, bad.voter_group
            USING ERRCODE = 'P0001';
    END IF;
    -- Distinct (election, project) pairs first: a bulk import probes each project once, not per ballot.
    SELECT item.election_id, item.project_id INTO bad
    FROM (SELECT DISTINCT n.election_id, x AS project_id FROM new_ballots n, unnest(n.project_ids) AS x) item
    LEFT JOIN budget.election_projects p
        ON p.election_id = item.election_id AND p.project_id = item.project_id
    WHERE p.project_id IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'election % has no project %', bad.election_id, bad.project_id
            USING ERRCODE = 'P0001';
    END IF;
    SELECT n.election_id INTO bad
    FROM new_ballots n
    WHERE cardinality(n.project_ids) <> (SELECT count(DISTINCT x) FROM unnest(n.project_ids) AS x)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a ballot of election % lists a project twice', bad.election_id
            USING ERRCODE = 'P0001';
    END IF;
    -- Imported ballots are historical records: their election's ballot rules are kept, not re-enforced.
    SELECT n.election_id INTO bad
    FROM new_ballots n JOIN budget.elections e ON e.id = n.election_id
    WHERE NOT e.accepting_import AND (
        cardinality(n.project_ids) < e.min_length
        OR cardinality(n.project_ids) > e.max_length
        OR (n.points IS NULL) <> (e.ballot_type <> 'cumulative')
        OR (SELECT sum(x) FROM unnest(n.points) AS x) > e.max_points
        OR (SELECT min(x) FROM unnest(n.points) AS x) <= 0
        OR (e.max_total_cost IS NOT NULL AND (
            SELECT sum(p.cost) FROM budget.election_projects p
            WHERE p.election_id = n.election_id AND p.project_id = ANY (n.project_ids)
        ) > e.max_total_cost)
    )
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a ballot breaks the ballot rules of election %', bad.election_id
            USING ERRCODE = 'P0001';
    END IF;
    RETURN NULL;
END $$
"""

ELECTION_TRIGGERS = (
    """
    CREATE FUNCTION budget.elections_cascade_ballots() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            TRUNCATE budget.ballots;
        ELSIF TG_OP = 'DELETE' THEN
            DELETE FROM budget.ballots b USING deleted_elections d WHERE b.election_id = d.id;
        ELSIF EXISTS (SELECT 1 FROM budget.ballots b WHERE b.election_id = OLD.id) THEN
            RAISE EXCEPTION 'election % has ballots: its id cannot change', OLD.id USING ERRCODE = '23503';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER elections_delete_ballots AFTER DELETE ON budget.elections
        REFERENCING OLD TABLE AS deleted_elections
        FOR EACH STATEMENT EXECUTE FUNCTION budget.elections_cascade_ballots()
    """,
    """
    CREATE TRIGGER elections_truncate_ballots AFTER TRUNCATE ON budget.elections
        FOR EACH STATEMENT EXECUTE FUNCTION budget.elections_cascade_ballots()
    """,
    """
    CREATE TRIGGER elections_keep_ballot_ids AFTER UPDATE OF id ON budget.elections
        FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION budget.elections_cascade_ballots()
    """,
)


def upgrade() -> None:
    op.drop_constraint(FOREIGN_KEY, "ballots", schema=SCHEMA, type_="foreignkey")
    op.execute(GUARD)
    for statement in ELECTION_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for trigger in ("elections_delete_ballots", "elections_truncate_ballots", "elections_keep_ballot_ids"):
        op.execute(f"DROP TRIGGER {trigger} ON {SCHEMA}.elections")
    op.execute(f"DROP FUNCTION {SCHEMA}.elections_cascade_ballots()")
    op.execute(GUARD_0003)
    op.create_foreign_key(
        FOREIGN_KEY,
        "ballots",
        "elections",
        ["election_id"],
        ["id"],
        source_schema=SCHEMA,
        referent_schema=SCHEMA,
        ondelete="CASCADE",
    )
