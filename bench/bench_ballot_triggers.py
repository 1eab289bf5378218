"""PostgreSQL's CPU per web ballot, before and after 0018 (the guard's one-query probe, the cast's statement).

    .venv/bin/python bench/bench_ballot_triggers.py [--ballots 2000] [--rounds 3] [--connections 1]
        [--import-rows N]

Embedded PostgreSQL under .data/pg-triggers, the budget schema migrated. Each of `--connections`
connections casts `--ballots` ballots for fresh voters (first ballots), then again for the same voters
(re-casts), with the statement the service sends: before, 0016's guard and the window CTE with the upsert
the service sent until 0018; after, 0018's guard and `cast_now`'s INSERT … SELECT upsert. The backends'
CPU time (/proc, user + system) is divided by the ballots. The guard switches between the two by the
migration's own SQL (both ways); "no guard" disables the guard's triggers (ALTER TABLE … DISABLE TRIGGER),
for the measurement only. Variants cycle round by round so that the machine's load hits them alike.
`--import-rows N` also times, per variant with all its triggers, one statement inserting N ballots into an
election taking an import (an import's shape).
"""

import argparse
import asyncio
import hashlib
import importlib
import os
import sys
import time
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ceiling import cpu_seconds  # noqa: E402
from bench.bench_gateway import free_port  # noqa: E402
from services.budget.elections.repository import _CAST  # noqa: E402

ELECTION = (
    "INSERT INTO budget.elections (name_ko, source, ballot_type, max_length, budget, opens_at, closes_at,"
    " created_by) VALUES ('bench', 'native', 'approval', 5, 300000000, now() - interval '1 minute',"
    " now() + interval '2 hours', 'bench') RETURNING id"
)
# The web ballot's statement until 0018: window CTE (row share-locked) and upsert, the window returned.
UPSERT = (
    "WITH w AS ( SELECT id, opens_at, closes_at, accepting_import, clock_timestamp() AS now FROM elections"
    " WHERE id = $1 FOR SHARE), up AS ( INSERT INTO ballots (election_id, voter_hash, voter_group,"
    " project_ids, points) SELECT w.id, $2::BYTEA, $3, $4::TEXT[], $5::NUMERIC[] FROM w WHERE NOT"
    " w.accepting_import AND w.now >= w.opens_at AND w.now < w.closes_at ON CONFLICT (election_id,"
    " voter_hash) DO UPDATE SET voter_group = EXCLUDED.voter_group, project_ids = EXCLUDED.project_ids,"
    " points = EXCLUDED.points, cast_at = now(), revision = ballots.revision + 1 RETURNING voter_group,"
    " project_ids, points, cast_at, revision) SELECT w.opens_at, w.closes_at, w.accepting_import, w.now,"
    " (up.revision IS NOT NULL) AS cast, up.voter_group, up.project_ids, up.points, up.cast_at, up.revision"
    " FROM w LEFT JOIN up ON true"
)
# An import's shape: many rows in one statement into an election taking an import.
IMPORT = (
    "INSERT INTO ballots (election_id, voter_hash, voter_group, project_ids)"
    " SELECT $1, sha256(int8send(i)), 'all', ARRAY[(i % 30 + 1)::text]"
    " FROM generate_series(1, $2::bigint) AS i"
)
_0018 = importlib.import_module("services.budget.migrations.versions.0018_ballots_guard_one_probe")
GUARD = ["ballots_guard_insert", "ballots_guard_update"]
# Each variant: the guard function (0016's or 0018's), whether the service's statements are 0018's, and the
# triggers it disables.
VARIANTS: dict[str, tuple[str, bool, list[str]]] = {
    "before (0017)": ("0016", False, []),
    "after (0018)": ("0018", True, []),
    "no guard": ("0018", True, GUARD),
}


async def cast(conn: asyncpg.Connection, new: bool, values: dict[str, object]) -> None:
    if not new:
        names = ("election_id", "voter_hash", "voter_group", "project_ids", "points")
        await conn.fetchrow(UPSERT, *(values[name] for name in names))
    else:
        assert await conn.fetchrow(_CAST.sql, *_CAST.args(values)) is not None


async def run(args: argparse.Namespace, admin_url: str) -> None:
    admin = await asyncpg.connect(admin_url)
    await admin.execute("SET search_path = budget")
    settings = {"search_path": "budget"}
    conns = [await asyncpg.connect(admin_url, server_settings=settings) for _ in range(args.connections)]
    backends = [await c.fetchval("SELECT pg_backend_pid()") for c in conns]
    state = "0018"
    results: dict[str, list[tuple[float, float]]] = {}
    for round_ in range(args.rounds):
        for variant, (guard, new, disabled) in VARIANTS.items():
            if guard != state:
                await admin.execute(_0018.GUARD_0016 if guard == "0016" else _0018._guard())
                state = guard
            election = await admin.fetchval(ELECTION)
            await admin.execute(
                f"INSERT INTO voter_groups (election_id, code, name_ko, weight, open, position)"
                f" VALUES ({election}, 'all', '전체', 1, true, 0)"
            )
            await admin.executemany(
                "INSERT INTO election_projects (election_id, project_id, position, cost)"
                " VALUES ($1, $2, $3, 1)",
                [(election, str(i), i) for i in range(1, 31)],
            )
            for name in disabled:
                await admin.execute(f"ALTER TABLE budget.ballots DISABLE TRIGGER {name}")

            def ballot(c: int, voter: int, election: int = election) -> dict[str, object]:
                hashed = hashlib.sha256(f"{election}:{c}:{voter}".encode()).digest()
                return {
                    "election_id": election,
                    "voter_hash": hashed,
                    "voter_group": "all",
                    "project_ids": ["1", "2", "3"],
                    "points": None,
                }

            async def voter_loop(c: int, conn: asyncpg.Connection, new: bool = new) -> None:
                for voter in range(args.ballots):
                    await cast(conn, new, ballot(c, voter))

            spent = []
            for _ in ("first ballots", "re-casts"):
                start = sum(cpu_seconds(pid) for pid in backends)
                await asyncio.gather(*(voter_loop(c, conn) for c, conn in enumerate(conns)))
                spent_ms = (sum(cpu_seconds(pid) for pid in backends) - start) * 1000
                spent.append(spent_ms / (args.ballots * len(conns)))
            results.setdefault(variant, []).append((spent[0], spent[1]))
            for name in disabled:
                await admin.execute(f"ALTER TABLE budget.ballots ENABLE TRIGGER {name}")
            if args.import_rows and not disabled:
                backend = await admin.fetchval("SELECT pg_backend_pid()")
                await admin.execute("UPDATE elections SET accepting_import = true WHERE id = $1", election)
                start, wall = cpu_seconds(backend), time.perf_counter()
                await admin.execute(IMPORT, election, args.import_rows)
                print(
                    f"  {variant}: one statement of {args.import_rows:,} imported ballots:"
                    f" {time.perf_counter() - wall:.2f} s, postgres CPU {cpu_seconds(backend) - start:.2f} s",
                    flush=True,
                )
            print(
                f"round {round_ + 1} {variant:<14} postgres CPU ms a ballot: first {spent[0]:.3f},"
                f" re-cast {spent[1]:.3f}  (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    print(f"\nmedians, postgres CPU ms a ballot, {args.connections} connection(s), first / re-cast:")
    for variant, spent in results.items():
        firsts = sorted(s[0] for s in spent)
        recasts = sorted(s[1] for s in spent)
        print(f"  {variant:<14} {firsts[len(firsts) // 2]:.3f} / {recasts[len(recasts) // 2]:.3f}")
    for conn in (admin, *conns):
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=2000, help="per connection")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--import-rows", type=int, default=0, help="also time a bulk insert of this many")
    args = parser.parse_args()
    from ops.devdb import EmbeddedPostgres, ensure_database
    from ops.migrate import migrate_all

    embedded = EmbeddedPostgres(ROOT / ".data" / "pg-triggers", free_port())
    if embedded.is_running():
        embedded.stop()
    embedded.start()
    try:
        admin_url = embedded.admin_url("seoul_triggers")
        asyncio.run(ensure_database(admin_url, recreate=True))
        migrate_all(admin_url, ("budget",))
        asyncio.run(run(args, admin_url))
    finally:
        embedded.stop()


if __name__ == "__main__":
    main()
