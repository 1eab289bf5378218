"""Two gateways in front of one budget, alternated: the gateway's CPU a forwarded ballot, old tree vs this.

    git -C /work/main archive main | tar -x -C /tmp/old-gw    # the old tree (+ .venv symlink and .so files)
    .venv/bin/python bench/bench_gateway_ab.py --old /tmp/old-gw --pairs 4 [--profile DIR]

Starts (1 uvicorn worker each, loopback, LOG_LEVEL=WARNING): councils and budget from this tree, a gateway
from `--old` and one from this tree, both in front of that budget, on one embedded PostgreSQL (.data/pg-ab).
Then pairs of `bench_ceiling.py`'s ballot row (its Lua script: 32 connections, each request its own voter
token, a fresh election per run), old/new then new/old, …: CPU per request of each gateway and of budget
from /proc (user + system over wrk's request count). Both gateways share budget in the same minutes, so
the gateway/budget ratio is also printed: every process's CPU per request rises with the machine's load
(fewer requests per event-loop turn), and the ratio moves less with it. `--profile DIR`: py-spy on each
gateway in the first pair (DIR/old.txt, DIR/new.txt, collapsed stacks).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ceiling import ballot_load, cpu_seconds, election_factory, run_wrk  # noqa: E402
from bench.harness import Processes, free_port, start_profiler  # noqa: E402


def start_gateway(procs: Processes, name: str, tree: Path, port: int, env: dict[str, str]) -> str:
    """A gateway from `tree` (its own modules first on the path: `python -m` puts the cwd there)."""
    log = (procs.log_dir / f"{name}.log").open("ab")
    command = [sys.executable, "-m", "uvicorn", "--factory", "gateway.main:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-access-log"]
    command += ["--log-level", "warning", "--timeout-graceful-shutdown", "3"]
    procs.running[name] = subprocess.Popen(
        command, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    return f"http://127.0.0.1:{port}"


def measure(args: argparse.Namespace, procs: Processes, urls: dict[str, str], work: Path) -> None:
    city, script = ballot_load(work, args.tokens, args.threads)

    base = {**os.environ, "APP_ENV": "dev", "LOG_LEVEL": "WARNING", "PYTHONDONTWRITEBYTECODE": "1"}
    ports = {name: free_port() for name in ("councils", "budget", "evaluation")}
    env = {**base, "BUDGET_DATABASE_URL": urls["budget"], "EVALUATION_DATABASE_URL": urls["evaluation"]}
    for name in ("councils", "budget", "evaluation"):
        env[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
    councils = procs.uvicorn(
        "councils",
        "services.councils.main:create_app",
        ports["councils"],
        {**env, "COUNCILS_DATABASE_URL": urls["councils"]},
    )
    env["COUNCILS_URL"] = councils
    budget = procs.uvicorn("budget", "services.budget.main:create_app", ports["budget"], env)
    gateways = {
        "old": start_gateway(procs, "old", args.old.resolve(), free_port(), env),
        "new": start_gateway(procs, "new", ROOT, free_port(), env),
    }
    procs.wait_ok("councils", councils + "/readyz")
    procs.wait_ok("budget", budget + "/readyz")
    for name, url in gateways.items():
        procs.wait_ok(name, url + "/readyz")
    new_election = election_factory(budget, city)

    load = os.getloadavg()[0]
    print(f"load average {load:.1f} at start; {args.duration:g}s per run after {args.warmup:g}s", flush=True)
    figures: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
    for pair in range(args.pairs):
        order = ("old", "new") if pair % 2 == 0 else ("new", "old")
        for name in order:
            if args.warmup > 0:  # an election of its own: the measured run's ballots are all inserts
                warm = f"{gateways[name]}/budget/elections/{new_election()}/ballot"
                run_wrk(warm, args.connections, args.warmup, args.threads, script)
            url = f"{gateways[name]}/budget/elections/{new_election()}/ballot"
            profiler = None
            if args.profile is not None and pair == 0:
                profiler = start_profiler(procs.pid(name), args.profile, name, args.duration)
            before = {n: cpu_seconds(procs.pid(n)) for n in (name, "budget")}
            result = run_wrk(url, args.connections, args.duration, args.threads, script)
            count = max(result.requests, 1)
            gw, bud = ((cpu_seconds(procs.pid(n)) - before[n]) * 1000 / count for n in (name, "budget"))
            if profiler is not None:
                profiler.wait(timeout=120)
            figures[name].append((gw, gw / bud))
            print(
                f"  pair {pair + 1} {name}: gateway {gw:.3f} ms, budget {bud:.3f} ms,"
                f" gw/budget {gw / bud:.3f},"
                f" {result.requests_per_second:,.0f}/s p99 {result.p99_ms:.1f} ms errors {result.errors},"
                f" load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    for name, rows in figures.items():
        gw = statistics.median(r[0] for r in rows)
        ratio = statistics.median(r[1] for r in rows)
        print(f"median {name}: gateway {gw:.3f} ms a ballot, gw/budget {ratio:.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="the old tree (with .venv and the .so files)")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--profile", type=Path, help="py-spy each gateway in the first pair, here")
    args = parser.parse_args()
    import asyncio

    from ops.devdb import EmbeddedPostgres, ensure_database
    from ops.migrate import migrate_all

    work = Path(tempfile.mkdtemp(prefix="bench-gateway-ab-"))
    procs = Processes(work)
    embedded = EmbeddedPostgres(ROOT / ".data" / "pg-ab", free_port())
    if embedded.is_running():
        embedded.stop()
    embedded.start()
    try:
        admin_url = embedded.admin_url("seoul_bench")
        asyncio.run(ensure_database(admin_url, recreate=True))
        measure(args, procs, {**migrate_all(admin_url), "admin": admin_url}, work)
        print(f"logs in {work}", flush=True)
    finally:
        procs.stop_all()
        embedded.stop()


if __name__ == "__main__":
    main()
