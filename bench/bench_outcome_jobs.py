"""An outcome computed in the request (old) against one computed apart from it (new): what a caller sees and
what the database holds while a long computation runs; and what a short one costs, old and new alternated.

    .venv/bin/python bench/bench_outcome_jobs.py --old /tmp/old-checkout [--voters 20000 --projects 100]

`--old` is an exported checkout of the code before (with .venv and the MES kernel's .so beside it, as the
repository's own). Both run as budget processes on one embedded PostgreSQL (migrated with this checkout's
migrations; the old code ignores the new table). Phase 1: a 5-voter election, `greedy-threshold` with a new
threshold each request (each is a computation), old and new alternated; wall time per request and the
server's CPU time (utime + stime from /proc) per request. Phase 2: a synthetic approval vote (`--voters`,
`--projects`) imported once; MES+Add1 asked with a 30 s client timeout (the gateway's), then again every 5 s
until 200; pg_stat_activity sampled every 0.5 s for the service's sessions inside a transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Processes, free_port  # noqa: E402
from bench.synthetic_pb import write_synthetic_pb  # noqa: E402
from shared.auth import mint_token  # noqa: E402
from shared.settings import CommonSettings, plain_url  # noqa: E402

APP = "services.budget.main:create_app"
VOTES = [["A"], ["A", "B"], ["B", "C"], ["C", "D"], ["C"]]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_budget(processes: Processes, name: str, cwd: Path, db_url: str) -> str:
    port = free_port()
    env = dict(os.environ) | {"BUDGET_DATABASE_URL": db_url, "BUDGET_COUNCIL_RECHECK_ENABLED": "false"}
    env["PYTHONPATH"] = str(cwd)
    url = processes.uvicorn(name, APP, port, env, "--app-dir", str(cwd))  # its code first on sys.path
    processes.wait_ok(name, f"{url}/readyz")
    return url


def small_phase(urls: dict[str, str], pids: dict[str, int], city: dict[str, str], rounds: int) -> None:
    settings = CommonSettings()
    with httpx.Client(timeout=60) as client:
        body = {
            "name_ko": "측정",
            "budget_krw": 1_000_000,
            "projects": [
                {"project_id": p, "name": p, "cost_krw": c}
                for p, c in zip("ABCD", (600_000, 500_000, 300_000, 100_000), strict=True)
            ],
            "opens_at": "2026-01-01T00:00:00+09:00",
            "closes_at": "2099-01-01T00:00:00+09:00",
            "ballot": {"type": "approval", "max_length": 2},
        }
        created = client.post(f"{urls['new']}/budget/elections", json=body, headers=city)
        created.raise_for_status()
        eid = created.json()["id"]
        for i, ballot in enumerate(VOTES):
            token = mint_token(settings, subject=f"bench-{i}", role="citizen")
            client.put(
                f"{urls['new']}/budget/elections/{eid}/ballot",
                json={"project_ids": ballot},
                headers={"Authorization": f"Bearer {token}"},
            ).raise_for_status()
        wall: dict[str, list[float]] = {"old": [], "new": []}
        cpu: dict[str, list[float]] = {"old": [], "new": []}
        threshold = 0
        for _ in range(rounds):
            for side in ("old", "new"):
                threshold += 1
                url = (
                    f"{urls[side]}/budget/elections/{eid}/outcome?rule=greedy-threshold&threshold={threshold}"
                )
                before_cpu, before = cpu_seconds(pids[side]), time.perf_counter()
                answer = client.get(url, headers=city)
                wall[side].append((time.perf_counter() - before) * 1000)
                cpu[side].append((cpu_seconds(pids[side]) - before_cpu) * 1000)
                assert answer.status_code == 200, answer.text
        for side in ("old", "new"):
            print(
                f"small computation, {side}: wall median {statistics.median(wall[side]):.2f} ms"
                f" (p90 {sorted(wall[side])[int(len(wall[side]) * 0.9)]:.2f}), server CPU mean"
                f" {statistics.mean(cpu[side]):.2f} ms, {rounds} requests",
                flush=True,
            )


def sample_transactions(db_url: str, stop: threading.Event, out: list[tuple[float, int, float]]) -> None:
    """(time, sessions of the budget role in a transaction, the oldest one's age in s) every 0.5 s."""

    async def run() -> None:
        conn = await asyncpg.connect(plain_url(db_url))
        try:
            while not stop.is_set():
                row = await conn.fetchrow(
                    "SELECT count(*) AS n, coalesce(max(extract(epoch FROM now() - xact_start)), 0) AS age"
                    " FROM pg_stat_activity WHERE usename = current_user AND pid <> pg_backend_pid()"
                    " AND xact_start IS NOT NULL"
                )
                assert row is not None
                out.append((time.monotonic(), int(row["n"]), float(row["age"])))
                await asyncio.sleep(0.5)
        finally:
            await conn.close()

    asyncio.run(run())


def long_phase(side: str, url: str, eid: int, db_url: str, city: dict[str, str], patience: float) -> None:
    samples: list[tuple[float, int, float]] = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample_transactions, args=(db_url, stop, samples))
    sampler.start()
    started = time.monotonic()
    statuses: list[str] = []
    path = f"{url}/budget/elections/{eid}/outcome?rule=mes-add1"
    try:
        while time.monotonic() - started < patience:
            asked = time.monotonic()
            try:
                answer = httpx.get(path, headers=city, timeout=30)
            except httpx.TimeoutException:
                statuses.append(f"timeout@{asked - started:.0f}s")
                continue
            statuses.append(f"{answer.status_code}@{asked - started:.0f}s+{time.monotonic() - asked:.1f}s")
            if answer.status_code == 200:
                break
            time.sleep(5)
    finally:
        stop.set()
        sampler.join()
    held = [s for s in samples if s[1] > 0]
    oldest = max((s[2] for s in samples), default=0)
    print(
        f"long computation, {side}: answers {' '.join(statuses)}; stored after"
        f" {time.monotonic() - started:.1f} s; samples with a budget session in a transaction:"
        f" {len(held)} of {len(samples)}, the oldest transaction seen {oldest:.1f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--voters", type=int, default=20_000)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--patience", type=float, default=600)
    parser.add_argument("--skip-long", action="store_true")
    args = parser.parse_args()
    city = {
        "Authorization": f"Bearer {mint_token(CommonSettings(), subject='bench-city', role='city_officer')}"
    }
    log_dir = Path(tempfile.mkdtemp(prefix="bench-outcome-jobs-"))
    processes = Processes(log_dir)
    from ops.devdb import EmbeddedPostgres, ensure_database
    from ops.migrate import migrate_all

    embedded = EmbeddedPostgres(ROOT / ".data" / "pg-bench-jobs", free_port())
    if embedded.is_running():
        embedded.stop()
    embedded.start()
    try:
        admin_url = embedded.admin_url("seoul_bench_jobs")
        asyncio.run(ensure_database(admin_url, recreate=True))
        db_url = migrate_all(admin_url, ("budget",))["budget"]
        urls = {
            "old": start_budget(processes, "budget-old", args.old.resolve(), db_url),
            "new": start_budget(processes, "budget-new", ROOT, db_url),
        }
        pids = {side: processes.pid(f"budget-{side}") for side in urls}
        small_phase(urls, pids, city, args.rounds)
        if args.skip_long:
            return
        pb = write_synthetic_pb(log_dir / "vote.pb", n_voters=args.voters, n_projects=args.projects, seed=3)
        eids: dict[str, int] = {}
        for side in ("old", "new"):  # one election each: the first's outcome would be stored for the second
            with pb.open("rb") as file:
                imported = httpx.post(
                    f"{urls['new']}/budget/elections/import", files={"file": file}, headers=city, timeout=300
                )
            imported.raise_for_status()
            eids[side] = imported.json()["id"]
        for side in ("old", "new"):
            long_phase(side, urls[side], eids[side], db_url, city, args.patience)
    finally:
        processes.stop_all()
        embedded.stop()
        print(f"logs in {log_dir}", flush=True)


if __name__ == "__main__":
    main()
