"""How much disk and WAL ballots take (README "Sizing PostgreSQL for a city-wide vote").

    .venv/bin/python bench/size_ballots.py [--ballots 100000] [--database-url postgresql://...]

Inserts synthetic ballots (a 32-byte voter hash, the default group, 1–5 of 200 projects drawn by a hash, as
in a Seoul-wide approval vote) into a migrated budget schema, 10,000 a statement, then some one by one, and
prints the table's total size (heap, TOAST, primary key and the (election, voter hash) unique index) and the
WAL written, per ballot, and how the outcome computation's GROUP BY read fits work_mem. The statement-level
ballot guard runs as for an import. Embedded PostgreSQL under .data/pg-size by default.
"""

import argparse
import asyncio
from pathlib import Path

import asyncpg

from ops.devdb import EmbeddedPostgres, ensure_database
from ops.migrate import migrate_all
from shared.settings import plain_url

ROOT = Path(__file__).resolve().parents[1]
BATCH = 10_000

SETUP = """
INSERT INTO budget.elections
    (name_ko, source, ballot_type, budget, opens_at, closes_at, accepting_import, created_by)
VALUES ('크기 측정', 'pabulib', 'approval', 1000000000, now() - interval '1 day', now(), true, 'size')
RETURNING id
"""
INSERT = """
INSERT INTO budget.ballots (election_id, voter_hash, voter_group, project_ids)
SELECT $1, sha256(($2::bigint + n)::text::bytea), 'default',
       ARRAY(SELECT DISTINCT 'P' || abs(hashint8(($2::bigint + n) * 8 + k) % 200)
             FROM generate_series(1, 1 + n % 5) AS k)
FROM generate_series(1, $3::int) AS n
"""


async def measure(url: str, ballots: int, singles: int) -> None:
    conn = await asyncpg.connect(plain_url(url))
    try:
        election = await conn.fetchval(SETUP)
        await conn.execute(
            "INSERT INTO budget.voter_groups (election_id, code, name_ko, weight, open, position)"
            " VALUES ($1, 'default', '전체', 1, true, 0)",
            election,
        )
        await conn.executemany(
            "INSERT INTO budget.election_projects (election_id, project_id, position, cost)"
            " VALUES ($1, $2, $3, 1000)",
            [(election, f"P{n}", n) for n in range(200)],
        )
        wal_before = await conn.fetchval("SELECT pg_current_wal_lsn()")
        size_before = await conn.fetchval("SELECT pg_total_relation_size('budget.ballots')")
        for start in range(0, ballots, BATCH):
            await conn.execute(INSERT, election, start, min(BATCH, ballots - start))
        # Cast one by one (each its own transaction and commit record), as voters do.
        wal_single_before = await conn.fetchval("SELECT pg_current_wal_lsn()")
        for n in range(singles):
            await conn.execute(INSERT, election, ballots + n, 1)
        wal_single = await conn.fetchval(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)", wal_single_before
        )
        print(f"{singles:,} ballots one by one: WAL {float(wal_single) / max(singles, 1):.0f} B/ballot")
        wal = await conn.fetchval(
            "SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)", wal_before, wal_single_before
        )
        await conn.execute("VACUUM ANALYZE budget.ballots")
        size = await conn.fetchval("SELECT pg_total_relation_size('budget.ballots')") - size_before
        total = ballots + singles
        print(f"{ballots:,} ballots {BATCH:,} a statement: WAL {float(wal) / ballots:.0f} B/ballot")
        print(f"{total:,} ballots: table+indexes {size / 2**20:.1f} MiB ({size / total:.0f} B/ballot)")
        # The outcome computation's read (services/budget/elections/tally.py): does it fit work_mem?
        for work_mem in ("4MB", "64MB"):
            await conn.execute(f"SET work_mem = '{work_mem}'")
            plan = await conn.fetch(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT voter_group, project_ids, points, count(*)"
                " FROM budget.ballots WHERE election_id = $1 GROUP BY voter_group, project_ids, points",
                election,
            )
            lines = [r[0].strip() for r in plan]
            notable = [x for x in lines if any(w in x for w in ("Memory", "Disk", "Batches", "Execution"))]
            print(f"outcome read, work_mem {work_mem}: " + " | ".join(notable))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--singles", type=int, default=10_000, help="ballots then cast one by one")
    parser.add_argument("--database-url", help="admin URL of an existing PostgreSQL (default: embedded)")
    args = parser.parse_args()
    embedded = None
    admin_url = args.database_url
    if admin_url is None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        embedded = EmbeddedPostgres(ROOT / ".data" / "pg-size", port)
        embedded.start()
        admin_url = embedded.admin_url("seoul_size")
    try:
        asyncio.run(ensure_database(admin_url))  # sizes are measured as deltas
        migrate_all(admin_url, ("budget",))
        asyncio.run(measure(admin_url, args.ballots, args.singles))
    finally:
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    main()
