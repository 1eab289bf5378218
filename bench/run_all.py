"""Run every benchmark in turn (what `make bench` does); figures land in bench/RESULTS_*.md.

Uses BENCH_DATABASE_URL (an administrator's URL of a scratch database) when set, otherwise an embedded
PostgreSQL under .data/pg-bench-all that is stopped at the end. Needs wrk for the gateway benchmark.
"""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ops.devdb import EmbeddedPostgres, ensure_database  # noqa: E402

SCRIPTS = (
    ["bench/bench_outcomes.py"],
    ["bench/bench_import.py"],
    ["bench/bench_seoul_vote.py"],
    ["bench/bench_ballots.py"],
    ["bench/bench_ceiling.py"],
    ["bench/bench_gateway.py"],
    ["bench/bench_evaluation.py"],
    ["bench/bench_delivery.py"],
    ["bench/bench_money.py"],
    ["bench/bench_overview.py"],
    ["bench/bench_replicas.py"],
    ["bench/size_ballots.py"],
)
WITH_DATABASE_URL = (
    "bench/bench_gateway.py",
    "bench/bench_overview.py",
    "bench/bench_replicas.py",
    "bench/size_ballots.py",
)


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    embedded = None
    if not url:
        port = int(os.environ.get("BENCH_PG_PORT", "54351"))
        embedded = EmbeddedPostgres(ROOT / ".data" / "pg-bench-all", port)
        embedded.start()
        url = embedded.admin_url("seoul_bench")
    asyncio.run(ensure_database(url, recreate=True))
    env = {**os.environ, "BENCH_DATABASE_URL": url}
    failed = []
    try:
        for script in SCRIPTS:
            print(f"\n=== {script[0]}", flush=True)
            extra = ["--database-url", url] if script[0] in WITH_DATABASE_URL else []
            if subprocess.run([sys.executable, *script, *extra], cwd=ROOT, env=env, check=False).returncode:
                failed.append(script[0])
    finally:
        if embedded is not None:
            embedded.stop()
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
