"""The ballots' guard decides a web ballot with one query (no aggregate, no data-modifying CTE).

Profiled (perf on a backend casting ballots; bench/PROFILE_ballots.md, "Session 9, lane pgballot"): about
half of PostgreSQL's CPU per web ballot was `ballots_guard`, nearly all of it the executor setting up and
running its queries: the count of the transition table (in both statement triggers an upsert fires), then
0013's one-row statement (two hash aggregates, the tally's DELETE as a data-modifying CTE, a hash join over
the voter groups of every election, two aggregate subplans).

Now the rows a statement wrote are counted up to two, as before (the upsert's other trigger wrote none and
ends there). A one-row statement is decided by one query: its row with its election (locked FOR KEY SHARE,
as before), whether its voter group exists, the costs of its projects (a project named twice, or not the
election's, matches fewer rows than the ballot has items) and whether its election keeps a tally (0011);
plpgsql checks the rules on those values, summing points or costs only for cumulative ballots and cost
limits, and deletes the tally only when there is one. Several rows (an import's batch: it skips the probe,
whose planning per statement cost a 1M-ballot import ~2.5 s when it ran for every batch), or anything not
plainly valid: 0016's checks, unchanged, which name what is wrong (every refusal and message as before).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from importlib import import_module

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUARD_0016: str = import_module(
    "services.budget.migrations.versions.0016_ballots_guard_repeat_tsvector"
)._guard()

# 0016 from its DECLARE to the end of its one-row fast path is replaced; its checks after that stay.
OLD_START = "DECLARE\n"
OLD_END = "    -- The election every new ballot names exists"

# The first new row (the executor stops there: one row into `probe`), checked against its locked election.
PROBE = """
        SELECT n.project_ids, n.points, e.max_points, e.max_total_cost,
            e.id IS NOT NULL AND NOT e.accepting_import
                AND clock_timestamp() >= e.opens_at AND clock_timestamp() < e.closes_at
                AND cardinality(n.project_ids) >= e.min_length
                AND (e.max_length IS NULL OR cardinality(n.project_ids) <= e.max_length)
                AND (n.points IS NULL) = (e.ballot_type <> 'cumulative')
                AND EXISTS (
                    SELECT FROM budget.voter_groups g
                    WHERE g.election_id = n.election_id AND g.code = n.voter_group)
                AS fine,
            ARRAY(
                SELECT p.cost FROM budget.election_projects p
                WHERE p.election_id = n.election_id AND p.project_id = ANY (n.project_ids)) AS costs,
            EXISTS (
                SELECT FROM budget.ballot_tallies t WHERE t.election_id = n.election_id){old_tally}
                AS tallied
        INTO probe
        FROM new_ballots n
        LEFT JOIN LATERAL (
            SELECT e.id, e.accepting_import, e.opens_at, e.closes_at, e.ballot_type, e.min_length,
                e.max_length, e.max_points, e.max_total_cost
            FROM budget.elections e
            WHERE e.id = n.election_id
            FOR KEY SHARE OF e
        ) AS e ON true;"""

OLD_TALLY = """
                OR EXISTS (
                    SELECT FROM old_ballots o
                    JOIN budget.ballot_tallies t ON t.election_id = o.election_id)"""

HEAD = (
    """DECLARE
    bad record;
    named integer[];
    importing boolean;
    probe record;
    written integer;
    fine boolean;
    total numeric;
    item numeric;
BEGIN
    -- An upsert fires the INSERT and the UPDATE statement triggers both; one of them wrote no row.
    SELECT count(*) INTO written FROM (SELECT FROM new_ballots LIMIT 2) AS x;
    IF written = 0 THEN
        RETURN NULL;
    END IF;
    -- A web ballot (one row) keeping every rule, decided by one query: its election locked FOR KEY SHARE as a
    -- foreign key would (a concurrent delete waits; a deleted one is not returned), the election takes no
    -- import and is open, the voter group exists, the projects are the election's and distinct (as many
    -- matches as items), the ballot rules hold, and the election's kept tally (0011), if any, dropped.
    -- Anything else, and every statement of several rows (an import: its ballots are exempt from some
    -- rules), goes through 0012's checks below, which name what is wrong.
    IF written = 1 THEN
        IF TG_OP = 'INSERT' THEN"""
    + PROBE.format(old_tally="")
    + """
        ELSE"""
    + PROBE.format(old_tally=OLD_TALLY)
    + """
        END IF;
        fine := probe.fine AND cardinality(probe.costs) = cardinality(probe.project_ids);
        IF fine AND probe.points IS NOT NULL THEN
            total := 0;
            FOREACH item IN ARRAY probe.points LOOP
                fine := fine AND item > 0;
                total := total + item;
            END LOOP;
            fine := fine AND total IS NOT NULL AND (probe.max_points IS NULL OR total <= probe.max_points);
        END IF;
        IF fine AND probe.max_total_cost IS NOT NULL THEN
            total := 0;
            FOREACH item IN ARRAY probe.costs LOOP
                total := total + item;
            END LOOP;
            fine := total <= probe.max_total_cost;
        END IF;
        IF fine THEN
            IF probe.tallied THEN
                DELETE FROM budget.ballot_tallies t
                WHERE t.election_id IN (SELECT election_id FROM new_ballots);
                IF TG_OP = 'UPDATE' THEN
                    DELETE FROM budget.ballot_tallies t
                    WHERE t.election_id IN (SELECT election_id FROM old_ballots);
                END IF;
            END IF;
            RETURN NULL;
        END IF;
    END IF;
    -- The tally kept for an election is stale once its ballots change: here for the elections the old rows
    -- named (an update may move a ballot out of one), below for those the new rows name.
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM budget.ballot_tallies t WHERE t.election_id IN (SELECT election_id FROM old_ballots);
    END IF;
"""
)


def _guard() -> str:
    start = GUARD_0016.index(OLD_START)
    end = GUARD_0016.index(OLD_END)
    assert GUARD_0016.count(OLD_START) == 1 and GUARD_0016.count(OLD_END) == 1
    return GUARD_0016[:start] + HEAD + GUARD_0016[end:]


def upgrade() -> None:
    op.execute(_guard())


def downgrade() -> None:
    op.execute(GUARD_0016)
