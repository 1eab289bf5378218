"""PostgreSQL's CPU per web ballot with the ballots' statement triggers of 0012 and 0013, alternated.

    .venv/bin/python bench/bench_ballot_triggers.py [--ballots 2000] [--rounds 3]

Embedded PostgreSQL under .data/pg-triggers, the budget schema migrated. One connection runs the ballot's own
statement (`cast_now`'s SQL, as the service sends it) for fresh voters (inserts), then for the same voters
again (re-casts: updates); the backend's CPU time (/proc, user + system) is divided by the statements. The
variants switch the schema between 0012's triggers and 0013's (the migration's own SQL, both ways) and
disable some triggers (ALTER TABLE … DISABLE TRIGGER), for the measurement only; they cycle round by round
so that the machine's load hits them alike. `pg_stat_user_functions` (track_functions=all) gives each
trigger function's calls and own time in the last round. `--import-rows N` also times, per variant with
all its triggers, one statement inserting N ballots into an election taking an import (an import's shape).
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

# An import's shape: many rows in one statement into an election taking an import.
IMPORT = (
    "INSERT INTO ballots (election_id, voter_hash, voter_group, project_ids)"
    " SELECT $1, sha256(int8send(i)), 'all', ARRAY[(i % 30 + 1)::text]"
    " FROM generate_series(1, $2::bigint) AS i"
)
_0013 = importlib.import_module("services.budget.migrations.versions.0013_ballot_triggers_one_pass")
TALLY = ["ballot_tally_stale_insert", "ballot_tally_stale_update_o", "ballot_tally_stale_update_n"]
GUARD = ["ballots_guard_insert", "ballots_guard_update"]
# Each variant: the schema's state (0012: before, 0013: after) and the triggers it disables.
VARIANTS: dict[str, tuple[str, list[str]]] = {
    "0012": ("0012", []),
    "0012 no tally": ("0012", TALLY),
    "0012 no guard": ("0012", GUARD),
    "0013": ("0013", []),
    "no triggers": ("0013", GUARD),
}


async def function_stats(conn: asyncpg.Connection) -> dict[str, tuple[int, float]]:
    rows = await conn.fetch("SELECT funcname, calls, self_time FROM pg_stat_user_functions")
    return {r["funcname"]: (r["calls"], r["self_time"]) for r in rows}


async def run(args: argparse.Namespace, admin_url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    await conn.execute("SET search_path = budget; SET track_functions = 'all'")
    state = "0013"
    backend = await conn.fetchval("SELECT pg_backend_pid()")
    sql = _CAST.sql
    print(sql)
    results: dict[str, list[tuple[float, float]]] = {}
    for round_ in range(args.rounds):
        for variant, (wanted, disabled) in VARIANTS.items():
            if wanted != state:
                for statement in _0013.DOWNGRADE if wanted == "0012" else _0013.UPGRADE:
                    await conn.execute(statement)
                state = wanted
            election = await conn.fetchval(ELECTION)
            await conn.execute(
                f"INSERT INTO voter_groups (election_id, code, name_ko, weight, open, position)"
                f" VALUES ({election}, 'all', '전체', 1, true, 0)"
            )
            await conn.executemany(
                "INSERT INTO election_projects (election_id, project_id, position, cost)"
                " VALUES ($1, $2, $3, 1)",
                [(election, str(i), i) for i in range(1, 31)],
            )
            for name in disabled:
                await conn.execute(f"ALTER TABLE budget.ballots DISABLE TRIGGER {name}")
            calls_before = await function_stats(conn)
            spent = []
            for _ in ("insert", "update"):
                start = cpu_seconds(backend)
                for voter in range(args.ballots):
                    hashed = hashlib.sha256(f"{election}:{voter}".encode()).digest()
                    await _CAST.fetchrow(
                        conn,
                        election_id=election,
                        voter_hash=hashed,
                        voter_group="all",
                        project_ids=["1", "2", "3"],
                        points=None,
                    )
                spent.append((cpu_seconds(backend) - start) * 1000 / args.ballots)
            results.setdefault(variant, []).append((spent[0], spent[1]))
            if round_ == args.rounds - 1:
                await asyncio.sleep(0.6)  # the statistics collector's flush
                for name, (calls, self_ms) in (await function_stats(conn)).items():
                    calls -= calls_before.get(name, (0, 0.0))[0]
                    self_ms -= calls_before.get(name, (0, 0.0))[1]
                    if calls:
                        print(
                            f"  {variant}: {name} {calls / (2 * args.ballots):.1f} calls a statement,"
                            f" {self_ms * 1000 / calls:.1f} µs a call (self)"
                        )
            if args.import_rows and not disabled:
                await conn.execute("UPDATE elections SET accepting_import = true WHERE id = $1", election)
                start, wall = cpu_seconds(backend), time.perf_counter()
                await conn.execute(IMPORT, election, args.import_rows)
                print(
                    f"  {variant}: one statement of {args.import_rows:,} imported ballots:"
                    f" {time.perf_counter() - wall:.2f} s, postgres CPU {cpu_seconds(backend) - start:.2f} s",
                    flush=True,
                )
            for name in disabled:
                await conn.execute(f"ALTER TABLE budget.ballots ENABLE TRIGGER {name}")
            print(
                f"round {round_ + 1} {variant:<13} postgres CPU ms a statement: insert {spent[0]:.3f},"
                f" update {spent[1]:.3f}  (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    print("\nmedian over rounds, postgres CPU ms a ballot statement (insert / update):")
    for variant, spent in results.items():
        inserts = sorted(s[0] for s in spent)
        updates = sorted(s[1] for s in spent)
        print(f"  {variant:<13} {inserts[len(inserts) // 2]:.3f} / {updates[len(updates) // 2]:.3f}")
    await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
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
