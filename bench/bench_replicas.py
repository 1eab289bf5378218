"""One vs two replicas of a service behind the gateway: read throughput of a councils district, with wrk.

    .venv/bin/python bench/bench_replicas.py                     # embedded PostgreSQL under .data/pg-bench
    .venv/bin/python bench/bench_replicas.py --database-url postgresql://postgres@127.0.0.1:5432/seoul_bench

Starts two councils processes on one database and two gateways: one with `GATEWAY_COUNCILS_URL` naming one
of them, one naming both (gateway/replicas.py). The rounds alternate between the two gateways, so a drift in
the machine's load hits both alike. Every process is uvicorn with 1 worker and no access log. Writes
bench/RESULTS_replicas.md. A second replica can only add throughput when a core is free for it: on a
2-core machine the gateway, both replicas, PostgreSQL and wrk share two cores.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_gateway import DISTRICT_PATH
from harness import Processes, WrkResult, cpu_model, database, free_port, median, run_wrk, versions

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS_replicas.md"


def measure(args: argparse.Namespace, procs: Processes) -> dict[str, WrkResult]:
    env = {**os.environ, "APP_ENV": "dev", "LOG_LEVEL": "WARNING", "PYTHONDONTWRITEBYTECODE": "1"}
    with database(args.database_url) as urls:
        try:
            service_env = {**env, "COUNCILS_DATABASE_URL": urls["councils"]}
            replicas = [
                procs.uvicorn(f"councils-{n}", "services.councils.main:create_app", free_port(), service_env)
                for n in (1, 2)
            ]
            for n, url in enumerate(replicas, 1):
                procs.wait_ok(f"councils-{n}", url + DISTRICT_PATH)
            closed = {  # not used by this path; closed ports, so that nothing else is reached by accident
                "GATEWAY_BUDGET_URL": f"http://127.0.0.1:{free_port()}",
                "GATEWAY_EVALUATION_URL": f"http://127.0.0.1:{free_port()}",
            }
            gateways = {}
            for label, councils in (("1 replica", replicas[0]), ("2 replicas", ",".join(replicas))):
                name = f"gateway-{label.split()[0]}"
                gateway_env = {**env, **closed, "GATEWAY_COUNCILS_URL": councils}
                url = procs.uvicorn(name, "gateway.main:create_app", free_port(), gateway_env) + DISTRICT_PATH
                procs.wait_ok(name, url)
                gateways[label] = url
            for url in gateways.values():
                run_wrk(url, args, args.warmup)
            results: dict[str, list[WrkResult]] = {label: [] for label in gateways}
            for _ in range(args.rounds):
                for label, url in gateways.items():
                    results[label].append(run_wrk(url, args, args.duration))
            return {label: median(runs) for label, runs in results.items()}
        finally:
            procs.stop_all()


def document(results: dict[str, WrkResult], args: argparse.Namespace, load: float) -> str:
    one = results["1 replica"].requests_per_second
    lines = [
        "# One vs two replicas behind the gateway",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/bench_replicas.py` on"
        f" {os.cpu_count()} cores ({cpu_model()}), load average {load:.2f} at the start. A second replica"
        " adds throughput only when a core is free for it; here wrk, the gateway, both replicas and"
        " PostgreSQL share every core.",
        f"{versions()}; `wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s`, median of "
        f"{args.rounds} alternating rounds; `GET {DISTRICT_PATH}` through the gateway (aiohttp transport).",
        "",
        "| councils behind the gateway | req/s | p50 ms | p99 ms | errors | vs 1 replica |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for label, r in results.items():
        lines.append(
            f"| {label} | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} "
            f"| {r.requests_per_second / one:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="admin URL of an existing PostgreSQL (default: embedded)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per gateway (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per row, median kept (default 3)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the results")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("error: `wrk` is not installed (see bench/README.md)", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as logs:
        procs = Processes(Path(logs))
        try:
            results = measure(args, procs)
        finally:
            procs.stop_all()
    text = document(results, args, load)
    args.output.write_text(text, encoding="utf-8")
    print(text + f"\n({time.monotonic() - started:.0f} s) written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
