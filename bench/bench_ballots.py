"""Ballot benchmark: N voters cast (then replace) ballots through the gateway with M concurrent clients.

    .venv/bin/python bench/bench_ballots.py --database-url postgresql://postgres@127.0.0.1:5432/bench_budget
    .venv/bin/python bench/bench_ballots.py --gateway http://127.0.0.1:8000     # against a running `make run`

Without --gateway it recreates and migrates the given database, then starts the three services and the gateway
as uvicorn processes (1 worker each, LOG_LEVEL=WARNING) on free loopback ports, and stops them on exit. Every
voter has their own token; each PUT /budget/elections/{id}/ballot is one real request through the gateway
(token verified there and again in the service, election row share-locked, ballot validated, upserted, and
checked by the database's statement triggers). At the end the election is closed and its outcome must count
exactly N ballots. Writes bench/RESULTS_budget.md.
"""

import argparse
import asyncio
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from ops.processes import stop_processes
from ops.readiness import wait_until_ready

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results_file import write_section  # noqa: E402
from ops.devdb import ensure_database  # noqa: E402
from ops.migrate import migrate_all  # noqa: E402
from shared.auth import mint_token  # noqa: E402
from shared.settings import CommonSettings  # noqa: E402

APPS = {
    "councils": "services.councils.main:create_app",
    "budget": "services.budget.main:create_app",
    "evaluation": "services.evaluation.main:create_app",
    "gateway": "gateway.main:create_app",
}
PROJECTS = [
    {"project_id": str(i), "name": f"사업 {i}", "cost_krw": 10_000_000 * (i % 7 + 1)} for i in range(1, 31)
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_system(admin_url: str, log_dir: Path) -> tuple[str, list[subprocess.Popen[bytes]]]:
    asyncio.run(ensure_database(admin_url, recreate=True))
    urls = migrate_all(admin_url)
    ports = {name: free_port() for name in APPS}
    env = dict(os.environ, LOG_LEVEL="WARNING")
    for service, url in urls.items():
        env[f"{service.upper()}_DATABASE_URL"] = url
        env[f"GATEWAY_{service.upper()}_URL"] = f"http://127.0.0.1:{ports[service]}"
    processes = []
    for name, app in APPS.items():
        log = (log_dir / f"{name}.log").open("ab")
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            app,
            "--port",
            str(ports[name]),
            "--no-access-log",
        ]
        processes.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
    for name, process in zip(APPS, processes, strict=True):
        try:
            wait_until_ready(f"http://127.0.0.1:{ports[name]}/readyz", process, timeout=60, interval=0.2)
        except RuntimeError as exc:
            raise RuntimeError(f"{name} did not become ready ({exc}); see {log_dir}") from exc
    return f"http://127.0.0.1:{ports['gateway']}", processes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def cast_all(
    client: httpx.AsyncClient, election_id: int, tokens: list[str], concurrency: int, seed: int
) -> tuple[float, list[float]]:
    rng = random.Random(seed)
    ballots = [[p["project_id"] for p in rng.sample(PROJECTS, rng.randint(1, 5))] for _ in tokens]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(tokens)):
        queue.put_nowait(i)
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            started = time.perf_counter()
            response = await client.put(
                f"/budget/elections/{election_id}/ballot",
                json={"project_ids": ballots[i]},
                headers={"Authorization": f"Bearer {tokens[i]}"},
            )
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"ballot {i}: {response.status_code} {response.text}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


async def run(gateway: str, voters: int, concurrency: int) -> str:
    settings = CommonSettings()
    city = {"Authorization": f"Bearer {mint_token(settings, subject='bench-city', role='city_officer')}"}
    tokens = [
        mint_token(settings, subject=f"voter-{i}", role="citizen", ttl_seconds=7200) for i in range(voters)
    ]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=gateway, timeout=30, limits=limits) as client:
        now = datetime.now(UTC)
        body = {
            "name_ko": "벤치마크 주민투표",
            "budget_krw": 500_000_000,
            "projects": PROJECTS,
            "ballot": {"type": "approval", "max_length": 5},
            "opens_at": (now - timedelta(minutes=1)).isoformat(),
            "closes_at": (now + timedelta(hours=2)).isoformat(),
        }
        response = await client.post("/budget/elections", json=body, headers=city)
        response.raise_for_status()
        election_id = response.json()["id"]
        rows = []
        for phase, seed in (("first ballots", 1), ("replacements", 2)):
            elapsed, latencies = await cast_all(client, election_id, tokens, concurrency, seed)
            rows.append(
                f"| {phase} | {voters:,} | {concurrency} | {voters / elapsed:,.0f} | "
                f"{percentile(latencies, 0.5) * 1000:.1f} | {percentile(latencies, 0.95) * 1000:.1f} | "
                f"{percentile(latencies, 0.99) * 1000:.1f} |"
            )
        (await client.post(f"/budget/elections/{election_id}/close", headers=city)).raise_for_status()
        outcome = (await client.get(f"/budget/elections/{election_id}/outcome", headers=city)).json()
        assert outcome["n_ballots"] == voters, outcome["n_ballots"]
    return (
        "| phase | voters | concurrent clients | ballots/s | p50 ms | p95 ms | p99 ms |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
        + "\n".join(rows)
        + f"\n\nAfter closing: {voters:,} ballots stored, one per voter.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--gateway", help="a running gateway's URL; nothing is started")
    parser.add_argument("--voters", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        if args.gateway:
            gateway = args.gateway
        elif args.database_url:
            gateway, processes = start_system(
                args.database_url, Path(tempfile.mkdtemp(prefix="bench-ballots-"))
            )
        else:
            raise SystemExit("give --database-url (a scratch database, recreated) or --gateway")
        result = asyncio.run(run(gateway, args.voters, args.concurrency))
    finally:
        stop_processes(*processes)
    text = (
        f"## Ballots cast through the gateway\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs shared by the load "
        "generator, the gateway and the services (1 uvicorn worker each); `bench/bench_ballots.py`.\n\n"
        + result
    )
    print(text)
    write_section("ballots", text)


if __name__ == "__main__":
    main()
