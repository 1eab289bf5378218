"""Published-outcome reads over HTTP: Łódź 2022 (90k voters) imported published, read anonymously.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/seoul_bench_pub \\
        .venv/bin/python bench/bench_published_reads.py [--baseline /work/main]

The database (an administrator's URL) is dropped, created and migrated; Łódź is imported in-process with
`published=true`, then the budget service runs as one uvicorn worker (`--no-access-log`, LOG_LEVEL=WARNING)
on a free loopback port and `--concurrency` connections (wrk if installed, else one httpx.AsyncClient
each, keep-alive) call `GET /budget/elections/{id}/outcome` without a token for `--duration` s after a
warm-up. Rows: `/livez` (no database, the same stack: what one worker can answer at all), a plain read, and a
conditional read whose If-None-Match names the ETag (304, when the code under test sends one).
`--baseline DIR` measures the budget service found in DIR (e.g. the main checkout) against the same database
first, with httpx clients (wrk counts only the answers that arrive within its run; the old reads take
longer): a before/after on the same data. The load generator shares the machine with the service, so read the
figures as a ratio. Writes its section of bench/RESULTS_budget.md.
"""

import argparse
import asyncio
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from ops.processes import stop_processes
from ops.readiness import wait_until_ready

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results_file import write_section  # noqa: E402
from ops.devdb import ensure_database  # noqa: E402
from ops.migrate import migrate_all  # noqa: E402
from services.budget.main import create_app  # noqa: E402
from services.budget.settings import BudgetSettings  # noqa: E402
from shared.auth import mint_token  # noqa: E402
from shared.db import create_engine, create_sessionmaker  # noqa: E402

SHARED = Path(os.environ.get("SEOUL_SHARED_DIR", ROOT.parent / "shared"))
LODZ = SHARED / "data" / "pabulib" / "Poland_Lodz_2022.pb"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def import_published(budget_url: str) -> tuple[int, int]:
    """Import Łódź with published=true in-process; returns (election id, ballots)."""
    settings = BudgetSettings(database_url=budget_url, log_level="WARNING")
    app = create_app(settings)
    app.state.engine = create_engine(settings)
    app.state.sessionmaker = create_sessionmaker(app.state.engine)
    headers = {"Authorization": f"Bearer {mint_token(settings, subject='bench', role='city_officer')}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
        response = await client.post(
            "/budget/elections/import",
            files={"file": (LODZ.name, LODZ.read_bytes(), "text/plain")},
            data={"published": "true"},
            headers=headers,
        )
    await app.state.engine.dispose()
    assert response.status_code == 201, response.text
    body = response.json()
    return int(body["id"]), int(body["n_ballots"])


def start_budget(code_dir: Path, budget_url: str, log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = dict(os.environ, LOG_LEVEL="WARNING", BUDGET_DATABASE_URL=budget_url, PYTHONPATH=str(code_dir))
    command = [sys.executable, "-m", "uvicorn", "--factory", "services.budget.main:create_app"]
    command += ["--port", str(port), "--no-access-log"]
    process = subprocess.Popen(
        command, env=env, cwd=code_dir, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(f"{base}/readyz", process, timeout=60, interval=0.2)
    except RuntimeError as exc:
        stop_processes(process)
        raise RuntimeError(
            f"the budget service in {code_dir} did not become ready ({exc}); see {log}"
        ) from exc
    return base, process


async def load(
    url: str, headers: dict[str, str], expect: int, concurrency: int, seconds: float
) -> dict[str, Any]:
    """`concurrency` clients reading `url` in a loop for `seconds`; latencies of the answers that came."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client_loop() -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=120) as client:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    response = await client.get(url, headers=headers)
                    ok = response.status_code == expect
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [float("nan")]
    return {
        "requests": len(latencies),
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "errors": errors,
    }


def wrk(url: str, headers: dict[str, str], concurrency: int, seconds: float) -> dict[str, Any]:
    """One wrk run (2 threads); its requests/s, p50, p99 and errors (socket errors, non-2xx/3xx)."""
    command = ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds:g}s", "--latency", "--timeout", "60s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 120).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if match is None:
            return float("nan")
        return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": int(total[1]) if total else 0,
        "rate": float(rate[1]) if rate else float("nan"),
        "p50": ms("50"),
        "p99": ms("99"),
        "errors": errors + (int(non2xx[1]) if non2xx else 0),
    }


async def measure(
    base: str, election_id: int, concurrency: int, seconds: float, warmup: float, use_wrk: bool
) -> list[Any]:
    url = f"{base}/budget/elections/{election_id}/outcome"
    async with httpx.AsyncClient(timeout=120) as client:
        first = await client.get(url)
    assert first.status_code == 200, first.text
    etag = first.headers.get("etag")
    cases: list[tuple[str, str, dict[str, str], int]] = [
        ("`/livez` (no database): the stack's ceiling", f"{base}/livez", {}, 200)
    ]
    cases.append(("published outcome, anonymous", url, {}, 200))
    if etag:
        cases.append(("same, If-None-Match → 304", url, {"If-None-Match": etag}, 304))
    rows = []
    for label, target, headers, expect in cases:
        if use_wrk:
            wrk(target, headers, concurrency, warmup)
            result = wrk(target, headers, concurrency, seconds)
        else:
            await load(target, headers, expect, concurrency, warmup)
            result = await load(target, headers, expect, concurrency, seconds)
        rows.append((label, result))
    cache = first.headers.get("cache-control", "—")
    return [(label, result, "—" if "livez" in label else cache) for label, result in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument(
        "--baseline", type=Path, help="also measure the budget service in this checkout, first"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--httpx", action="store_true", help="load with httpx clients even if wrk is installed"
    )
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit(
            "--database-url (or BENCH_DATABASE_URL): an administrator's URL of a scratch database"
        )
    asyncio.run(ensure_database(args.database_url, recreate=True))
    budget_url = migrate_all(args.database_url, ("budget",))["budget"]
    election_id, n_ballots = asyncio.run(import_published(budget_url))
    use_wrk = shutil.which("wrk") is not None and not args.httpx
    # A baseline's reads outlast a wrk run (wrk counts none of them): it is loaded by httpx clients, and so
    # is this checkout once more, the two rows to compare.
    runs: list[tuple[str, Path, bool]] = []
    if args.baseline:
        runs += [(f"before: {args.baseline}", args.baseline, False), ("this checkout", ROOT, False)]
    if use_wrk or not args.baseline:
        runs.append(("this checkout", ROOT, use_wrk))
    lines = ["| code | load | what | req/s | p50 ms | p99 ms | answers | errors | Cache-Control |"]
    lines.append("|---|---|---|--:|--:|--:|--:|--:|---|")
    log = Path(tempfile.mkdtemp(prefix="bench-pub-")) / "budget.log"
    load_before = os.getloadavg()[0]
    for name, code_dir, with_wrk in runs:
        base, process = start_budget(code_dir.resolve(), budget_url, log)
        try:
            rows = asyncio.run(
                measure(base, election_id, args.concurrency, args.duration, args.warmup, with_wrk)
            )
        finally:
            stop_processes(process, timeout=30)
        for label, r, cache in rows:
            lines.append(
                f"| {name} | {'wrk' if with_wrk else 'httpx'} | {label} | {r['rate']:,.1f} | {r['p50']:.1f}"
                f" | {r['p99']:.1f} | {r['requests']:,} | {r['errors']} | {cache} |"
            )
    text = (
        f"## Published outcome reads\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load average {load_before:.1f} at start; "
        f"`bench/bench_published_reads.py`: Łódź 2022 ({n_ballots:,} ballots) imported published, "
        f"`GET /budget/elections/{{id}}/outcome` without a token, {args.concurrency} connections "
        f"for {args.duration:g} s, one uvicorn worker (`--no-access-log`), the load generator (wrk -t2, or "
        "one keep-alive httpx client per connection) on the same machine.\n\n" + "\n".join(lines) + "\n"
    )
    print(text)
    if not args.no_write:
        write_section("published-reads", text)


if __name__ == "__main__":
    main()
