"""Budget money through the gateway: the 25-district summary of a year, and expenditure writes per second.

    .venv/bin/python bench/bench_money.py                  # embedded PostgreSQL under .data/pg-bench-money
    .venv/bin/python bench/bench_money.py --database-url postgresql://postgres@127.0.0.1:5432/seoul_bench_money
    .venv/bin/python bench/bench_money.py --requests 20 --writes 200 --no-write     # a quick look

A year (fiscal 2030) is built through the budget API, as the roles that do each step: a grant policy, each of
the 25 districts' funding type, an awarded platform grant per district, one cycle with an envelope per
district and its published vote, whose `--projects` selected proposals per district become funded projects,
put in progress. Then, through the gateway (the budget service and the gateway each one uvicorn worker,
`--no-access-log`, LOG_LEVEL=WARNING):

* expenditure writes: `--writes` `POST /budget/projects/{id}/expenditures` from `--concurrency` clients, each
  its own district officer, spread over every project's line (each write is charged under its line's row lock
  in PostgreSQL, so writes to one line serialise: this measures the spread case); through the gateway, then
  as many straight to the budget service (what the gateway costs); with the CPU time the budget and gateway
  processes spent per write (from /proc: steadier than throughput when the machine is shared);
* the raw insert ceiling: the same number of `INSERT INTO budget.expenditures` straight into PostgreSQL with
  asyncpg, same concurrency, one transaction each, through the same triggers (charge, timeline): what the
  database alone allows on this machine;
* `GET /budget/summaries/2030` (`--requests` sequential after `--warmup`), through the gateway and directly,
  after the writes (so every district has spending). Goal: p50 under 100 ms through the gateway.

Writes bench/RESULTS_budget.md (section `money`).
"""

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from itertools import cycle as round_robin
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Processes, free_port  # noqa: E402
from bench.results_file import write_section  # noqa: E402
from ops.devdb import EmbeddedPostgres, ensure_database  # noqa: E402
from ops.migrate import migrate_all  # noqa: E402
from shared.auth import mint_token  # noqa: E402
from shared.seoul import DISTRICT_CODES  # noqa: E402
from shared.settings import CommonSettings  # noqa: E402

YEAR = 2030
M = 1_000_000
PROJECT_COST = 50 * M


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc): steadier than wall time when shared."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def headers(role: str, subject: str, district: str | None = None) -> dict[str, str]:
    token = mint_token(CommonSettings(), subject=subject, role=role, district_code=district, name="bench")
    return {"Authorization": f"Bearer {token}"}


async def ok(response: Awaitable[httpx.Response]) -> Any:
    answer = await response
    if answer.status_code not in (200, 201):
        raise RuntimeError(
            f"{answer.request.method} {answer.request.url.path}: {answer.status_code} {answer.text}"
        )
    return answer.json()


async def seed_district(
    client: httpx.AsyncClient, city: dict[str, str], cycle_id: int, district: str, projects: int
) -> list[tuple[str, int, int]]:
    """The district's funding, grant, envelope and vote; its funded projects in progress, as
    (district, project id, line id)."""
    officer = headers("district_officer", f"bench-officer-{district}", district)
    funding = {"funding_type": "separate", "neighbourhoods": 10}
    await ok(client.put(f"/budget/districts/{district}/funding/{YEAR}", json=funding, headers=city))
    grant = {
        "kind": "civic_platform",
        "district_code": district,
        "fiscal_year": YEAR,
        "title_ko": "시민협력플랫폼",
        "amount_krw": 100 * M,
        "district_share_krw": 30 * M,
    }
    applied = await ok(client.post("/budget/grants", json=grant, headers=officer))
    await ok(client.post(f"/budget/grants/{applied['id']}/award", headers=city))
    amount = projects * PROJECT_COST
    envelope = {"district_code": district, "track": "general", "amount_krw": amount}
    envelope_id = (
        await ok(client.post(f"/budget/cycles/{cycle_id}/envelopes", json=envelope, headers=city))
    )["id"]
    now = datetime.now(UTC)
    ids = [f"P{number}" for number in range(projects)]
    election = {
        "name_ko": f"{YEAR} {district} 주민투표",
        "envelope_id": envelope_id,
        "projects": [{"project_id": pid, "name": f"사업 {pid}", "cost_krw": PROJECT_COST} for pid in ids],
        "opens_at": (now - timedelta(minutes=5)).isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
    }
    eid = (await ok(client.post("/budget/elections", json=election, headers=city)))["id"]
    voter = headers("citizen", f"bench-voter-{district}")
    await ok(client.put(f"/budget/elections/{eid}/ballot", json={"project_ids": ids}, headers=voter))
    await ok(client.post(f"/budget/elections/{eid}/close", headers=city))
    await ok(client.post(f"/budget/elections/{eid}/publish", headers=city))
    funded = (await ok(client.post(f"/budget/elections/{eid}/projects", json={}, headers=city)))["items"]
    out = []
    for project in funded:
        status = {"status": "in_progress"}
        await ok(client.post(f"/budget/projects/{project['id']}/status", json=status, headers=officer))
        line = (await ok(client.get(f"/budget/projects/{project['id']}", headers=officer)))["lines"][0]["id"]
        out.append((district, int(project["id"]), int(line)))
    return out


async def seed(service: str, projects: int) -> list[tuple[str, int, int]]:
    city = headers("city_officer", "bench-city")
    async with httpx.AsyncClient(base_url=service, timeout=120) as client:
        policy = {
            "yearly_max_krw": 100 * M,
            "max_years": 3,
            "increase_percent": 10,
            "reduce_percent": 20,
            "min_district_share_bp": 3000,
            "phases": [
                {"phase": "operation", "applications_open_on": None, "application_deadline": f"{YEAR}-12-31"}
            ],
        }
        await ok(client.put(f"/budget/grant-policies/{YEAR}/civic_platform", json=policy, headers=city))
        body = {"name_ko": f"{YEAR}년 시민참여예산 (bench)", "fiscal_year": YEAR}
        cycle_id = (await ok(client.post("/budget/cycles", json=body, headers=city)))["id"]
        lines = []
        for district in sorted(DISTRICT_CODES):
            lines += await seed_district(client, city, cycle_id, district, projects)
        return lines


def expenditure(line: int, number: int) -> dict[str, Any]:
    return {
        "line_id": line,
        "account_code": "201-01",
        "item_ko": "회의 다과",
        "unit_price_krw": 1_000,
        "quantity": 3,
        "amount_krw": 3_000,
        "spent_on": datetime.now(UTC).date().isoformat(),
        "payee": "벤치 상회",
        "receipt_ref": f"B-{number}",
    }


async def concurrently(
    n: int, concurrency: int, one: Callable[[int], Awaitable[None]]
) -> tuple[float, list[float]]:
    """Run `one(i)` for i < n from `concurrency` workers: (seconds, each call's ms)."""
    counter = iter(range(n))
    times: list[float] = []

    async def worker() -> None:
        for number in counter:
            started = time.perf_counter()
            await one(number)
            times.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, times


async def api_writes(
    gateway: str, lines: list[tuple[str, int, int]], n: int, concurrency: int
) -> tuple[float, list[float]]:
    officers = {
        district: headers("district_officer", f"bench-officer-{district}", district)
        for district in DISTRICT_CODES
    }
    targets = round_robin(lines)
    picks = [next(targets) for _ in range(n)]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=gateway, timeout=60, limits=limits) as client:

        async def one(number: int) -> None:
            district, project, line = picks[number]
            await ok(
                client.post(
                    f"/budget/projects/{project}/expenditures",
                    json=expenditure(line, number),
                    headers=officers[district],
                )
            )

        return await concurrently(n, concurrency, one)


async def raw_writes(
    url: str, lines: list[tuple[str, int, int]], n: int, concurrency: int
) -> tuple[float, list[float]]:
    pool = await asyncpg.create_pool(
        url.replace("postgresql+asyncpg://", "postgresql://"), min_size=concurrency, max_size=concurrency
    )
    targets = round_robin(lines)
    picks = [next(targets) for _ in range(n)]
    today = datetime.now(UTC).date()
    try:

        async def one(number: int) -> None:
            _, project, line = picks[number]
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT set_config('budget.actor', 'bench', true)")
                await conn.execute(
                    "INSERT INTO budget.expenditures (project_id, line_id, account_code, item_ko,"
                    " unit_price_krw, quantity, amount_krw, spent_on, payee, receipt_ref, created_by)"
                    " VALUES ($1, $2, '201-01', '회의 다과', 1000, 3, 3000, $3, '벤치 상회', $4, 'bench')",
                    project,
                    line,
                    today,
                    f"R-{number}",
                )

        return await concurrently(n, concurrency, one)
    finally:
        await pool.close()


async def timed(client: httpx.AsyncClient, url: str, warmup: int, n: int) -> list[float]:
    for _ in range(warmup):
        assert (await client.get(url)).status_code == 200
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = await client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
    return times


async def gateway_routes(gateway: str) -> None:
    """Wait until the gateway forwards the summary (it learns the service's paths from its OpenAPI)."""
    async with httpx.AsyncClient(timeout=60) as client:
        deadline = time.monotonic() + 60
        while (await client.get(f"{gateway}/budget/summaries/{YEAR}")).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway never answered the summary")
            await asyncio.sleep(0.5)


async def reads(gateway: str, service: str, warmup: int, n: int) -> list[tuple[str, list[float]]]:
    async with httpx.AsyncClient(timeout=60) as client:
        summary = (await client.get(f"{gateway}/budget/summaries/{YEAR}")).json()
        assert len(summary) == 25 and all(row["spent_krw"] > 0 for row in summary), summary[:2]
        return [
            (
                f"gateway: GET /budget/summaries/{YEAR} (25 districts)",
                await timed(client, f"{gateway}/budget/summaries/{YEAR}", warmup, n),
            ),
            (
                f"direct: GET /budget/summaries/{YEAR}",
                await timed(client, f"{service}/budget/summaries/{YEAR}", warmup, n),
            ),
            (
                f"gateway: GET /budget/summaries/{YEAR}/export.csv",
                await timed(client, f"{gateway}/budget/summaries/{YEAR}/export.csv", warmup, n),
            ),
        ]


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(
    args: argparse.Namespace,
    load: float,
    projects: int,
    writes: list[tuple[str, float, list[float], list[float] | None]],
    read_rows: list[tuple[str, list[float]]],
) -> str:
    write_lines = [
        "| writes | n | concurrent | writes/s | p50 ms | p95 ms | CPU ms/write: budget, gateway |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for label, seconds, times, cpu in writes:
        ordered = sorted(times)
        cpu_text = "—" if cpu is None else f"{cpu[0]:.1f}, {cpu[1]:.1f}"
        write_lines.append(
            f"| {label} | {len(times)} | {args.concurrency} | {len(times) / seconds:.0f} |"
            f" {statistics.median(ordered):.1f} | {percentile(ordered, 0.95):.1f} | {cpu_text} |"
        )
    read_lines = ["| read | p50 ms | p90 ms | min ms | max ms |", "|---|--:|--:|--:|--:|"]
    for label, times in read_rows:
        ordered = sorted(times)
        read_lines.append(
            f"| {label} | {statistics.median(ordered):.1f} | {percentile(ordered, 0.9):.1f}"
            f" | {ordered[0]:.1f} | {ordered[-1]:.1f} |"
        )
    return (
        "## Money: the 25-district summary and expenditure writes\n\n"
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load:.1f} at start"
        " (the machine was shared with other work: the figures are noisy); `bench/bench_money.py`: fiscal"
        f" {YEAR}, 25 districts each with a funding type, an awarded grant, an envelope and {args.projects}"
        f" funded projects in progress ({projects} in all); one uvicorn worker per process, client on the"
        " same machine. Goal: the summary's p50 under 100 ms through the gateway.\n\n"
        + "\n".join(write_lines)
        + "\n\n"
        + "\n".join(read_lines)
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--projects", type=int, default=4, help="funded projects per district")
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    embedded = None
    admin_url = args.database_url
    if admin_url is None:
        embedded = EmbeddedPostgres(ROOT / ".data" / "pg-bench-money", free_port())
        if embedded.is_running():
            embedded.stop()
        embedded.start()
        admin_url = embedded.admin_url("seoul_bench_money")
    processes = Processes(Path(tempfile.mkdtemp(prefix="bench-money-")))
    try:
        asyncio.run(ensure_database(admin_url, recreate=True))
        url = migrate_all(admin_url, ("budget",))["budget"]
        unused = {name: f"http://127.0.0.1:{free_port()}" for name in ("COUNCILS", "EVALUATION")}
        env = {
            **os.environ,
            "APP_ENV": "dev",
            "LOG_LEVEL": "WARNING",
            "BUDGET_DATABASE_URL": url,
            "COUNCILS_URL": unused["COUNCILS"],
            "BUDGET_COUNCIL_RECHECK_ENABLED": "false",
        }
        service = processes.uvicorn("budget", "services.budget.main:create_app", free_port(), env)
        processes.wait_ok("budget", f"{service}/readyz")
        gateway_env = {**env, "GATEWAY_BUDGET_URL": service}
        gateway_env |= {f"GATEWAY_{name}_URL": address for name, address in unused.items()}
        gateway = processes.uvicorn("gateway", "gateway.main:create_app", free_port(), gateway_env)
        processes.wait_ok("gateway", f"{gateway}/livez")
        started = time.perf_counter()
        lines = asyncio.run(seed(service, args.projects))
        print(f"seeded {len(lines)} projects in {time.perf_counter() - started:.1f} s", flush=True)
        load = os.getloadavg()[0]
        asyncio.run(gateway_routes(gateway))
        pids = (processes.pid("budget"), processes.pid("gateway"))
        before = [cpu_seconds(pid) for pid in pids]
        api = asyncio.run(api_writes(gateway, lines, args.writes, args.concurrency))
        middle = [cpu_seconds(pid) for pid in pids]
        direct = asyncio.run(api_writes(service, lines, args.writes, args.concurrency))
        after = [cpu_seconds(pid) for pid in pids]
        cpu = {
            "gateway": [(m - b) * 1000 / args.writes for b, m in zip(before, middle, strict=True)],
            "direct": [(a - m) * 1000 / args.writes for m, a in zip(middle, after, strict=True)],
        }
        raw = asyncio.run(raw_writes(url, lines, args.writes, args.concurrency))
        read_rows = asyncio.run(reads(gateway, service, args.warmup, args.requests))
    finally:
        processes.stop_all()
        if embedded is not None:
            embedded.stop()
    writes = [
        ("gateway: POST /budget/projects/{id}/expenditures", *api, cpu["gateway"]),
        ("direct: POST /budget/projects/{id}/expenditures", *direct, cpu["direct"]),
        ("raw INSERT into budget.expenditures (asyncpg, same triggers)", *raw, None),
    ]
    text = report(args, load, len(lines), writes, read_rows)
    print(text)
    if not args.no_write:
        write_section("money", text)


if __name__ == "__main__":
    main()
