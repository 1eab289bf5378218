"""Delivery latency, evaluation → budget: from a confirmation's commit to the event applied in budget.

    .venv/bin/python bench/bench_delivery.py        # embedded PostgreSQL under .data/pg-bench-delivery
    .venv/bin/python bench/bench_delivery.py --database-url postgresql://postgres@127.0.0.1:5432/seoul_bench_delivery
    .venv/bin/python bench/bench_delivery.py --events 50 --no-write       # a quick look

Budget and evaluation run as one uvicorn worker each (`--no-access-log`, LOG_LEVEL=WARNING), evaluation with
its outbox relay on. The script writes `--events` confirmed-result events the way a confirmation does
(`enqueue_result_confirmed`, each in its own committed transaction, `--interval` seconds apart, over 20
targets so that per-target order is exercised) and waits until budget has applied them all. Each event's
latency is read from the database, on one clock: budget's inbox `received_at` (the start of the transaction
that stores and applies it) minus the outbox row's `created_at` (the start of the confirming transaction).
Run once per mode: `notify` (the relay wakes on enqueue's NOTIFY) and `poll` (EVALUATION_RELAY_LISTEN=false:
it finds new events only by polling every `--poll-seconds`). Goal: p99 under 1 s when all is up.
Writes the section `delivery-latency` of bench/RESULTS_delivery.md.
"""

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Processes, free_port  # noqa: E402
from bench.results_file import write_section  # noqa: E402
from ops.devdb import EmbeddedPostgres, ensure_database  # noqa: E402
from ops.migrate import migrate_all  # noqa: E402
from services.evaluation.outbox.service import enqueue_result_confirmed  # noqa: E402
from shared.settings import async_url, plain_url  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS_delivery.md"
TARGETS = 20


async def write_events(url: str, count: int, interval: float) -> list[uuid.UUID]:
    engine = create_async_engine(async_url(url), pool_size=1)
    ids = []
    try:
        for n in range(count):
            async with engine.begin() as conn:
                payload = {"category": "우수", "sequence": n}
                ids.append(await enqueue_result_confirmed(conn, 1_000_000 + n % TARGETS, payload))
            await asyncio.sleep(interval)
    finally:
        await engine.dispose()
    return ids


async def latencies(urls: dict[str, str], ids: list[uuid.UUID], wait_seconds: float) -> list[float]:
    """Milliseconds from each event's creation to its application in budget, once all are applied."""
    budget = await asyncpg.connect(plain_url(urls["budget"]))
    evaluation = await asyncpg.connect(plain_url(urls["evaluation"]))
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            received = await budget.fetch(
                "SELECT event_id, received_at FROM budget.inbox_events WHERE event_id = ANY($1)", ids
            )
            if len(received) == len(ids):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(received)} of {len(ids)} events applied after {wait_seconds} s")
            await asyncio.sleep(0.2)
        created = await evaluation.fetch(
            "SELECT id, created_at FROM evaluation.outbox_events WHERE id = ANY($1)", ids
        )
    finally:
        await budget.close()
        await evaluation.close()
    made = {row["id"]: row["created_at"] for row in created}
    return [(row["received_at"] - made[row["event_id"]]).total_seconds() * 1000 for row in received]


def run_mode(mode: str, urls: dict[str, str], args: argparse.Namespace, log_dir: Path) -> list[float]:
    processes = Processes(log_dir / mode)
    (log_dir / mode).mkdir()
    env = {**os.environ, "APP_ENV": "dev", "LOG_LEVEL": "WARNING"}
    env |= {"BUDGET_DATABASE_URL": urls["budget"], "EVALUATION_DATABASE_URL": urls["evaluation"]}
    env |= {
        "EVALUATION_RELAY_ENABLED": "true",
        "EVALUATION_RELAY_LISTEN": "true" if mode == "notify" else "false",
        "EVALUATION_RELAY_POLL_SECONDS": str(args.poll_seconds),
    }
    try:
        budget = processes.uvicorn("budget", "services.budget.main:create_app", free_port(), env)
        processes.wait_ok("budget", f"{budget}/readyz")
        env["EVALUATION_BUDGET_URL"] = budget
        evaluation = processes.uvicorn("evaluation", "services.evaluation.main:create_app", free_port(), env)
        processes.wait_ok("evaluation", f"{evaluation}/readyz")
        asyncio.run(write_events(urls["evaluation"], 5, 0.05))  # warm-up: connections, first requests
        time.sleep(2)
        ids = asyncio.run(write_events(urls["evaluation"], args.events, args.interval))
        return asyncio.run(latencies(urls, ids, wait_seconds=120))
    finally:
        processes.stop_all()


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between two confirmations")
    parser.add_argument(
        "--poll-seconds", type=float, default=0.2, help="the relay's poll interval (default's)"
    )
    parser.add_argument("--modes", nargs="+", default=["notify", "poll"], choices=["notify", "poll"])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    embedded = None
    admin_url = args.database_url
    if admin_url is None:
        embedded = EmbeddedPostgres(ROOT / ".data" / "pg-bench-delivery", free_port())
        if embedded.is_running():
            embedded.stop()
        embedded.start()
        admin_url = embedded.admin_url("seoul_bench_delivery")
    log_dir = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    rows = []
    try:
        asyncio.run(ensure_database(admin_url, recreate=True))
        urls = migrate_all(admin_url, ("budget", "evaluation"))
        load_before = os.getloadavg()[0]
        for mode in args.modes:
            times = sorted(run_mode(mode, urls, args, log_dir))
            rows.append((mode, times))
            print(
                f"{mode}: p50 {statistics.median(times):.1f} ms, p99 {percentile(times, 0.99):.1f} ms",
                flush=True,
            )
        load_after = os.getloadavg()[0]
    finally:
        if embedded is not None:
            embedded.stop()
    lines = ["| relay wakes on | events | p50 ms | p90 ms | p99 ms | max ms |", "|---|--:|--:|--:|--:|--:|"]
    for mode, times in rows:
        label = "NOTIFY (poll as fallback)" if mode == "notify" else f"poll every {args.poll_seconds} s only"
        lines.append(
            f"| {label} | {len(times)} | {statistics.median(times):.1f} | {percentile(times, 0.9):.1f}"
            f" | {percentile(times, 0.99):.1f} | {times[-1]:.1f} |"
        )
    text = (
        f"## Delivery latency, evaluation → budget\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load_before:.1f} at start"
        f" and {load_after:.1f} at the end; `bench/bench_delivery.py`: {args.events} confirmations"
        f" {args.interval * 1000:.0f} ms apart over {TARGETS} targets, one uvicorn worker per service;"
        " latency = budget inbox `received_at` − outbox `created_at` (one database clock)."
        " Goal: p99 < 1 s.\n\n" + "\n".join(lines) + "\n"
    )
    print(text)
    if not args.no_write:
        if not RESULTS.exists():
            RESULTS.write_text("# Delivery latency benchmarks (evaluation → budget)\n")
        write_section("delivery-latency", text, RESULTS)


if __name__ == "__main__":
    main()
