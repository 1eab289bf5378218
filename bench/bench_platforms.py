"""Councils lists a district page reads: platforms (with consortia) and bodies, before vs after, with wrk.

    .venv/bin/python bench/bench_platforms.py --baseline /tmp/plat-before \
        --database-url postgresql://postgres@127.0.0.1:5432/seoul_bench_plat

Creates and migrates the database (councils only), starts this tree's councils service and, with
`--baseline DIR` (e.g. `git archive <commit> | tar -x -C DIR`), the councils service found in DIR, both on
the same database; loads the 2017 demo records through this tree's service with `ops.demo.load` (idempotent);
then measures each path on each service, alternating between them round by round so that a drift in the
machine's load hits both alike. Per row: the median round's req/s and latencies, and the service's CPU time
per request (`/proc/<pid>/stat`), steadier than req/s on a shared machine. Prints a markdown table; the
figures go into bench/RESULTS.md by hand. Every process started is stopped on exit. Needs `wrk` on PATH.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, Processes, WrkResult, database, free_port, run_wrk

PATHS = (
    ("platforms of 11380 (1 platform)", "/councils/platforms?district=11380"),
    ("platforms, all districts (9 platforms)", "/councils/platforms"),
    ("bodies of 11380", "/councils/bodies?district=11380"),
    ("district 11380 (reference)", "/councils/districts/11380"),
)
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def load_demo(base_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    from ops.demo import load
    from shared.auth import Role, mint_token
    from shared.settings import CommonSettings

    token = mint_token(CommonSettings(), subject="bench", role=Role.city_officer, name="bench")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        _, created = load(client)
    print(f"demo data loaded ({created} records created)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/seoul_bench_plat")
    parser.add_argument("--baseline", type=Path, help="a tree holding the councils service to compare with")
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("error: `wrk` is not on PATH (apt-get install -y wrk)", file=sys.stderr)
        return 2
    base_env = {**os.environ, "APP_ENV": "dev", "LOG_LEVEL": "WARNING", "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory(prefix="bench-platforms-") as logs, database(args.database_url) as urls:
        procs = Processes(Path(logs))
        try:
            env = {**base_env, "COUNCILS_DATABASE_URL": urls["councils"]}
            services = {
                "after": procs.uvicorn("after", "services.councils.main:create_app", free_port(), env)
            }
            if args.baseline:
                extra = ("--app-dir", str(args.baseline.resolve()))
                services["before"] = procs.uvicorn(
                    "before", "services.councils.main:create_app", free_port(), env, *extra
                )
            for name, url in services.items():
                procs.wait_ok(name, url + "/readyz")
            load_demo(services["after"])
            for _, path in PATHS:
                answers = [procs.wait_ok(name, url + path) for name, url in services.items()]
                same = all(json.loads(answer) == json.loads(answers[0]) for answer in answers)
                print(f"{path}: {'the same JSON from each service' if same else 'JSON DIFFERS'}", flush=True)
            print(
                f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, {args.rounds} round(s), "
                f"load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            print("| path | service | req/s (rounds) | p50 ms | p99 ms | CPU/req ms | errors |")
            print("|---|---|--:|--:|--:|--:|--:|")
            for label, path in PATHS:
                results: dict[str, list[tuple[WrkResult, float]]] = {name: [] for name in services}
                for url in services.values():
                    run_wrk(url + path, args, args.warmup)
                for _ in range(args.rounds):
                    for name, url in services.items():
                        before = cpu_seconds(procs.pid(name))
                        result = run_wrk(url + path, args, args.duration)
                        cpu = cpu_seconds(procs.pid(name)) - before
                        results[name].append((result, cpu * 1000 / max(result.requests, 1)))
                for name in reversed(list(services)):
                    runs = sorted(results[name], key=lambda r: r[0].requests_per_second)
                    median, _ = runs[len(runs) // 2]
                    rounds = ", ".join(f"{r.requests_per_second:,.0f}" for r, _ in results[name])
                    cpus = "–".join(f"{c:.2f}" for _, c in sorted(results[name], key=lambda r: r[1]))
                    print(
                        f"| `{path}` ({label}) | {name} | {rounds} | {median.p50_ms:.1f} | "
                        f"{median.p99_ms:.1f} | {cpus} | {sum(r.errors for r, _ in results[name])} |",
                        flush=True,
                    )
        finally:
            procs.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
