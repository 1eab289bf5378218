"""A Seoul-wide vote: 1,000,000 synthetic voters and 200 projects, generated, imported and decided.

    .venv/bin/python bench/bench_seoul_vote.py --database-url postgresql://postgres@127.0.0.1:5432/bench_budget

Steps, in one run: the seeded generator (bench/synthetic_pb.py) writes the .pb file; the parser reads it
alone (parse_pb_file, the step that used to be the slowest); the raw ceiling, asyncpg `copy_records_to_table`
of the same ballot rows into a scratch table shaped like budget.ballots (same columns and indexes), is
measured; then a child process runs the budget app in-process (ASGI, real connection pool, like
bench_import.py) and times the import (POST /budget/elections/import), greedy and MES+Add1 (GET .../outcome,
each computed: read of the ballots from PostgreSQL + digest + engine + insert). A CHECKPOINT precedes the
ceiling's COPY and the import alike, so neither pays for the other's writes. The child reports its peak RSS
(getrusage ru_maxrss), which is the budget process's peak. Writes a section of bench/RESULTS_budget.md.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results_file import write_section  # noqa: E402
from bench.synthetic_pb import write_synthetic_pb  # noqa: E402
from ops.devdb import ensure_database  # noqa: E402
from ops.migrate import migrate_all  # noqa: E402
from services.budget.main import create_app  # noqa: E402
from services.budget.pabulib.parser import parse_pb_file  # noqa: E402
from services.budget.settings import BudgetSettings  # noqa: E402
from shared.auth import mint_token  # noqa: E402
from shared.db import create_engine, create_sessionmaker  # noqa: E402

GOALS = {"import": 10.0, "greedy": 1.0, "mes-add1": 5.0}
COPY_RATIO_GOAL = 0.3
SCRATCH = "copy_ceiling"
STATEMENT_MS = 600_000


def _ceiling_records(path: Path, secret: bytes) -> list[tuple[int, bytes, str, list[str], None]]:
    """The rows the import stores (voter hash, group, projects), built here outside the timing."""
    records = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("VOTES"):
                break
        next(lines)
        for line in lines:
            voter, _, vote = line.rstrip("\n").partition(";")
            digest = hmac.new(secret, f"0:{voter}".encode(), hashlib.sha256).digest()
            records.append((0, digest, "voters", vote.split(","), None))
    return records


async def checkpoint(admin_url: str) -> None:
    """Flush the cluster's dirty pages, so the next timed step does not pay for the writes of the last one.

    Run before the ceiling's COPY and before the import alike (each step then starts from a clean buffer
    pool); without it the import, right after the ceiling's million-row COPY, paid 4-6 s of its writes."""
    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def copy_ceiling(admin_url: str, budget_url: str, path: Path, secret: bytes) -> tuple[int, float]:
    """Raw asyncpg binary COPY of the same rows into a scratch copy of budget.ballots (no election FK)."""
    records = _ceiling_records(path, secret)
    conn = await asyncpg.connect(budget_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f"DROP TABLE IF EXISTS budget.{SCRATCH}")
        await conn.execute(f"CREATE TABLE budget.{SCRATCH} (LIKE budget.ballots INCLUDING ALL)")
        await checkpoint(admin_url)
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table(
                SCRATCH,
                schema_name="budget",
                columns=("election_id", "voter_hash", "voter_group", "project_ids", "points"),
                records=records,
            )
        elapsed = time.perf_counter() - started
        await conn.execute(f"DROP TABLE budget.{SCRATCH}")
    finally:
        await conn.close()
    return len(records), elapsed


def _emit(result: dict[str, Any]) -> None:
    """One JSON line per finished step: a parent that stops a step too slow to wait for keeps the others."""
    result["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result), flush=True)


async def run_app(budget_url: str, path: Path, rules: tuple[str, ...]) -> dict[str, Any]:
    # One COPY of a million rows is one statement: the service's 15 s default can cut it on a loaded machine.
    settings = BudgetSettings(
        database_url=budget_url, log_level="WARNING", db_statement_timeout_ms=STATEMENT_MS
    )
    app = create_app(settings)
    app.state.engine = create_engine(settings)
    app.state.sessionmaker = create_sessionmaker(app.state.engine)
    headers = {"Authorization": f"Bearer {mint_token(settings, subject='bench', role='city_officer')}"}
    result: dict[str, Any] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=3600) as client:
        content = path.read_bytes()  # noqa: ASYNC240 - before the timing, nothing else runs
        started = time.perf_counter()
        response = await client.post(
            "/budget/elections/import",
            files={"file": (path.name, content, "text/plain")},
            data={"published": "false"},
            headers=headers,
        )
        result["import"] = time.perf_counter() - started
        assert response.status_code == 201, response.text
        election = response.json()
        result["n_ballots"] = election["n_ballots"]
        del content
        _emit(result)
        for rule in rules:
            started = time.perf_counter()
            response = await client.get(
                f"/budget/elections/{election['id']}/outcome", params={"rule": rule}, headers=headers
            )
            result[rule] = time.perf_counter() - started
            assert response.status_code == 200, response.text
            result[f"{rule} selected"] = len(response.json()["selected"])
            _emit(result)
    await app.state.engine.dispose()
    return result


def app_steps(budget_url: str, path: Path, time_limit: float, rules: tuple[str, ...]) -> dict[str, Any]:
    """Run the budget app in a child process; what it finished within `time_limit` seconds."""
    command = [sys.executable, __file__, "--app-only", budget_url, str(path), "--rules", ",".join(rules)]
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(command, stdout=out)
        try:
            child.wait(timeout=time_limit)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        out.seek(0)
        lines = out.read().strip().splitlines()
    done: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    done["time limit"] = time_limit
    return done


def prepare(admin_url: str) -> str:
    asyncio.run(ensure_database(admin_url, recreate=True))
    return migrate_all(admin_url, ("budget",))["budget"]


def _seconds(seconds: float, rate: str, stopped_at: str) -> str:
    if not math.isnan(seconds):
        return f"{seconds:.2f}"
    return "—" if rate.startswith("not run") else stopped_at


def report(voters: int, projects: int, timings: dict[str, Any], rules: tuple[str, ...]) -> str:
    copy_rate = timings["copy rows"] / timings["copy"]
    import_rate = timings["n_ballots"] / timings["import"]
    ratio = import_rate / copy_rate

    def goal(key: str) -> str:
        return "met" if timings[key] <= GOALS[key] else "**not met**"

    def outcome(rule: str, what: str, limit: str) -> tuple[str, float, str, str]:
        if rule not in rules:
            return (what, float("nan"), "not run (--rules)", f"{limit}: not measured")
        if rule not in timings:  # the child was stopped by --time-limit
            stopped = f"not finished: the budget process was stopped at {timings['time limit']:.0f} s"
            return (what, float("nan"), stopped, f"{limit}: **not met**")
        return (what, timings[rule], f"{timings[f'{rule} selected']} selected", f"{limit}: {goal(rule)}")

    rows = [
        ("generate the .pb (bench/synthetic_pb.py)", timings["generate"], "", ""),
        (
            "parse it (parse_pb_file)",
            timings["parse"],
            f"{voters / timings['parse']:,.0f} votes/s",
            "",
        ),
        (
            "raw COPY ceiling (asyncpg, same rows, same indexes)",
            timings["copy"],
            f"{copy_rate:,.0f} rows/s",
            "",
        ),
        (
            "import (POST /budget/elections/import)",
            timings["import"],
            f"{import_rate:,.0f} rows/s = {ratio:.2f} × COPY",
            f"≤ 10 s: {goal('import')}; ≥ {COPY_RATIO_GOAL} × COPY: "
            + ("met" if ratio >= COPY_RATIO_GOAL else "**not met**"),
        ),
        outcome("greedy", "greedy (GET outcome, computed, read included)", "≤ 1 s"),
        outcome("mes-add1", "MES+Add1 (GET outcome, computed, read included)", "≤ 5 s"),
    ]
    lines = [
        f"## A Seoul-wide vote: {voters:,} voters, {projects} projects\n",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end (the machine was shared "
        "with other work: figures are noisy); `bench/bench_seoul_vote.py`, one run. Peak RSS of the budget "
        f"process (up to the last step that finished): {timings['max_rss_mib']:,.0f} MiB.\n",
        "| step | seconds | rate / result | goal |",
        "|---|---:|---|---|",
    ]
    stopped_at = f"> {timings['time limit']:.0f}"
    lines += [
        f"| {what} | {_seconds(seconds, rate, stopped_at)} | {rate} | {goal_text} |"
        for what, seconds, rate, goal_text in rows
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--voters", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--time-limit", type=float, default=900, help="seconds before the budget process is stopped"
    )
    parser.add_argument(
        "--rules",
        default="greedy,mes-add1",
        help="outcomes to compute after the import, comma-separated ('greedy' skips MES while iterating)",
    )
    parser.add_argument("--app-only", nargs=2, metavar=("BUDGET_URL", "PB_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    rules = tuple(rule for rule in args.rules.split(",") if rule)
    if args.app_only:
        asyncio.run(run_app(args.app_only[0], Path(args.app_only[1]), rules))
        return
    if not args.database_url:
        raise SystemExit(
            "--database-url (or BENCH_DATABASE_URL): an administrator's URL of a scratch database"
        )
    budget_url = prepare(args.database_url)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "Seoul_synthetic.pb"
        timings: dict[str, Any] = {}
        started = time.perf_counter()
        write_synthetic_pb(path, args.voters, args.projects, args.seed)
        timings["generate"] = time.perf_counter() - started
        started = time.perf_counter()
        parse_pb_file(path)
        timings["parse"] = time.perf_counter() - started
        secret = BudgetSettings(database_url=budget_url).voter_hash_secret.get_secret_value().encode()
        timings["copy rows"], timings["copy"] = asyncio.run(
            copy_ceiling(args.database_url, budget_url, path, secret)
        )
        print(timings, file=sys.stderr, flush=True)
        # Nothing writes between this and the import's request: the child only starts and reads the file.
        asyncio.run(checkpoint(args.database_url))
        timings.update(app_steps(budget_url, path, args.time_limit, rules))
    text = report(args.voters, args.projects, timings, rules)
    print(text)
    write_section("seoul-vote", text)


if __name__ == "__main__":
    main()
