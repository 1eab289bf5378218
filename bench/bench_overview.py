"""The district overview benchmark: `GET /overview/districts/{code}` and each of its parts, with wrk.

    .venv/bin/python bench/bench_overview.py            # embedded PostgreSQL under .data/pg-bench-overview
    .venv/bin/python bench/bench_overview.py --database-url postgresql://postgres@127.0.0.1:5432/seoul_bench

Starts, as subprocesses on free loopback ports (harness.Processes): PostgreSQL (embedded, unless
--database-url), the three services and two gateways (the overview cache on, as deployed, and off:
GATEWAY_OVERVIEW_CACHE_SECONDS=0). Loads the full 2017 demo data through the public API (`make demo`:
registry, composition, platforms, programme budget, grant policies, the funded project with its
expenditures and its amendment, in 11110), then a year of records for the district measured
(11620, 관악구, by default: a council, a platform and a status record in the 2017 data): its funding type,
a 2017 cycle and envelope, grants (written directly: the API takes applications only inside 2017's
windows), and two years of published evaluation results for its bodies and its platform's consortium.
Then one `wrk --latency` run per row, in one run: each part read directly from its service, then the
overview through each gateway, without and with
`If-None-Match` (304). Writes bench/RESULTS_overview.md. Needs `wrk` (bench/README.md).
"""

import argparse
import asyncio
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import Processes, WrkResult, cpu_model, free_port, run_wrk, start_profiler  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS_overview.md"
SERVICES = ("councils", "budget", "evaluation")
APPS = {name: f"services.{name}.main:create_app" for name in SERVICES}
M = 1_000_000


@contextmanager
def database(admin_url: str | None) -> Iterator[dict[str, str]]:
    """Each service's database URL, migrated; an embedded server is started (and stopped) if needed."""
    from ops.devdb import EmbeddedPostgres, ensure_database
    from ops.migrate import migrate_all

    embedded = None
    if admin_url is None:
        embedded = EmbeddedPostgres(ROOT / ".data" / "pg-bench-overview", free_port())
        if embedded.is_running():
            embedded.stop()
        embedded.start()
        admin_url = embedded.admin_url("seoul_bench_overview")
    try:
        asyncio.run(ensure_database(admin_url, recreate=True))
        yield migrate_all(admin_url, SERVICES)
    finally:
        if embedded is not None:
            embedded.stop()


def measure(url: str, args: argparse.Namespace, headers: dict[str, str] | None = None) -> WrkResult:
    if args.warmup > 0:
        run_wrk(url, args, args.warmup, headers)
    return run_wrk(url, args, args.duration, headers)


# --- the data ----------------------------------------------------------------------------------------------


def load_demo(gateway: str) -> None:
    from ops import demo, demo_projects
    from ops.demo_grants import load_grants
    from shared.auth import Role, mint_token
    from shared.settings import CommonSettings

    token = mint_token(CommonSettings(), subject="bench-overview", role=Role.city_officer, name="bench")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=gateway, headers=headers, timeout=60) as client:
        demo.load(client)
    load_grants(gateway, headers, demo.shared_dir())
    demo_projects.run(gateway)


def load_year(gateway: str, district: str) -> int:
    """The district's budget year through the API: funding type, a 2017 cycle with its envelope. Returns the
    cycle's id."""
    from shared.auth import Role, mint_token
    from shared.settings import CommonSettings

    city = {
        "Authorization": "Bearer " + mint_token(CommonSettings(), subject="bench", role=Role.city_officer)
    }
    with httpx.Client(base_url=gateway, timeout=60, headers=city) as client:
        body = {"funding_type": "separate", "neighbourhoods": 4}
        client.put(f"/budget/districts/{district}/funding/2017", json=body).raise_for_status()
        cycle = client.post("/budget/cycles", json={"name_ko": "2017년 시민참여예산", "fiscal_year": 2017})
        cycle.raise_for_status()
        envelope = {"district_code": district, "track": "general", "amount_krw": 300 * M}
        client.post(f"/budget/cycles/{cycle.json()['id']}/envelopes", json=envelope).raise_for_status()
        return int(cycle.json()["id"])


async def load_grants(url: str, district: str) -> None:
    """The year's grants, written directly: the API takes applications only inside 2017's windows."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('budget.actor', 'bench', true)")
            rows = [
                ("innovation_plan", "planning", None, 100 * M, 70 * M, "awarded"),
                ("innovation_plan", "execution", None, 200 * M, 140 * M, "applied"),
                ("civic_platform", "operation", 1, 80 * M, 80 * M, "awarded"),
            ]
            for kind, phase, platform_year, amount, city_share, status in rows:
                await conn.execute(
                    "INSERT INTO budget.grants (kind, phase, district_code, fiscal_year, title_ko,"
                    " platform_year, amount_krw, city_share_krw, district_share_krw, status, awarded_at,"
                    " awarded_by, created_by) VALUES ($1, $2, $3, 2017, $4, $5, $6, $7, $8, $9,"
                    " CASE WHEN $9 = 'awarded' THEN now() END,"
                    " CASE WHEN $9 = 'awarded' THEN 'bench' END, 'bench')",
                    kind,
                    phase,
                    district,
                    "지역사회혁신계획" if kind == "innovation_plan" else "시민협력플랫폼",
                    platform_year,
                    amount,
                    city_share,
                    amount - city_share,
                    status,
                )
    finally:
        await conn.close()


async def load_evaluation(url: str, district: str, organizations: list[int]) -> None:
    """Two yearly cycles with a published result for each of the district's organisations."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('evaluation.actor', 'bench', true)")
            for year in (2016, 2017):
                cycle = await conn.fetchval(
                    "INSERT INTO evaluation.cycles (programme, name_ko, year, created_by)"
                    " VALUES ('civic_platform', $1, $2, 'bench') RETURNING id",
                    f"{year}년 시민협력플랫폼 성과평가",
                    year,
                )
                for n, organization in enumerate(organizations):
                    target = await conn.fetchval(
                        "INSERT INTO evaluation.targets (cycle_id, organization_id, district_code, round,"
                        " created_by) VALUES ($1, $2, $3, 1, 'bench') RETURNING id",
                        cycle,
                        organization,
                        district,
                    )
                    total = 55 + (n * 7 + year) % 40
                    category = (
                        "continue_with_increase" if total >= 85 else "continue" if total >= 70 else "reduce"
                    )
                    await conn.execute(
                        "INSERT INTO evaluation.results (target_id, review_version, status, total,"
                        " total_display, arithmetic, category, category_source, computed_at, computed_by,"
                        " notified_at, notified_by, confirmed_at, confirmed_by, published_at, published_by)"
                        " VALUES ($1, 1, 'published', $2, $3, '{}'::jsonb, $4, 'bands', now(), 'bench',"
                        " now(), 'bench', now(), 'bench', now(), 'bench')",
                        target,
                        str(total),
                        total,
                        category,
                    )
        await conn.execute("ANALYZE evaluation.results; ANALYZE evaluation.targets")
    finally:
        await conn.close()


# --- the run -----------------------------------------------------------------------------------------------


def start_system(procs: Processes, urls: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    ports = {name: free_port() for name in (*SERVICES, "gateway", "gateway-nocache")}
    env = {**os.environ, "APP_ENV": "dev", "LOG_LEVEL": "WARNING", "EVALUATION_RELAY_ENABLED": "false"}
    for name in SERVICES:
        env[f"{name.upper()}_DATABASE_URL"] = urls[name]
        env[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
    env["COUNCILS_URL"] = env["EVALUATION_COUNCILS_URL"] = f"http://127.0.0.1:{ports['councils']}"
    env["EVALUATION_BUDGET_URL"] = f"http://127.0.0.1:{ports['budget']}"
    base = {}
    for name in SERVICES:
        base[name] = procs.uvicorn(name, APPS[name], ports[name], env)
    base["gateway"] = procs.uvicorn("gateway", "gateway.main:create_app", ports["gateway"], env)
    nocache = {**env, "GATEWAY_OVERVIEW_CACHE_SECONDS": "0"}
    base["gateway-nocache"] = procs.uvicorn(
        "gateway-nocache", "gateway.main:create_app", ports["gateway-nocache"], nocache
    )
    for name, url in base.items():
        procs.wait_ok(name, url + ("/readyz" if name in SERVICES else "/livez"))
    return base, env


def run(args: argparse.Namespace, procs: Processes) -> list[tuple[str, WrkResult]]:
    rows: list[tuple[str, WrkResult]] = []
    code = args.district
    with database(args.database_url) as urls:
        try:
            base, _ = start_system(procs, urls)
            gateway = base["gateway"]
            for name in SERVICES:  # build each OpenAPI document (the gateway's route tables) once
                httpx.get(f"{base[name]}/openapi.json", timeout=120)
            print("loading the 2017 demo data and a year of records…", flush=True)
            load_demo(gateway)
            load_year(gateway, code)
            asyncio.run(load_grants(urls["budget"], code))
            bodies = httpx.get(f"{gateway}/councils/bodies", params={"district": code}, timeout=30).json()
            platforms = httpx.get(
                f"{gateway}/councils/platforms", params={"district": code}, timeout=30
            ).json()
            orgs = [b["id"] for b in bodies["items"]] + [p["consortium"]["id"] for p in platforms["items"]]
            asyncio.run(load_evaluation(urls["evaluation"], code, orgs or [1]))
            overview = httpx.get(f"{gateway}/overview/districts/{code}?fiscal_year=2017", timeout=30)
            sample = overview.json()
            print(f"  overview: {len(overview.content):,} bytes, missing={sample['missing']}", flush=True)
            print(
                f"  bodies {len(sample['bodies'] or [])}, platforms {len(sample['platforms'] or [])},"
                f" grants {len((sample['money'] or {}).get('grants', []))}, pending amendments "
                f"{((sample['money'] or {}).get('pending_amendments') or {}).get('count')},"
                f" evaluation {len(sample['evaluation'] or [])}",
                flush=True,
            )
            parts = (
                ("part: councils overview (councils)", "councils", f"/councils/districts/{code}/overview"),
                ("  of which: district", "councils", f"/councils/districts/{code}"),
                ("  of which: governance status", "councils", f"/councils/districts/{code}/status"),
                ("  of which: bodies", "councils", f"/councils/bodies?district={code}&limit=200"),
                ("  of which: composition", "councils", f"/councils/districts/{code}/composition"),
                ("  of which: platforms", "councils", f"/councils/platforms?district={code}"),
                ("part: money (budget)", "budget", f"/budget/districts/{code}/overview?fiscal_year=2017"),
                (
                    "part: evaluation (evaluation)",
                    "evaluation",
                    f"/evaluation/districts/{code}/latest-results",
                ),
            )
            print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency", flush=True)
            for label, service, path in parts:
                rows.append(report(label, measure(base[service] + path, args)))
            path = f"/overview/districts/{code}?fiscal_year=2017"
            profilers = []
            if args.profile:  # the uncached overview: where each process spends its time
                for name in (*SERVICES, "gateway-nocache"):
                    profilers.append(
                        start_profiler(procs.pid(name), args.profile, name, args.duration + args.warmup)
                    )
            rows.append(
                report(
                    "overview, no cache (every part fetched)", measure(base["gateway-nocache"] + path, args)
                )
            )
            for profiler in profilers:
                if profiler is not None:
                    profiler.wait(timeout=60)
            rows.append(report("overview, 2 s cache (as deployed)", measure(gateway + path, args)))
            etag = httpx.get(gateway + path, timeout=30).headers["etag"]
            revalidated = measure(gateway + path, args, {"If-None-Match": etag})
            rows.append(report("overview, If-None-Match → 304", revalidated))
        finally:
            procs.stop_all()
    return rows


def report(label: str, r: WrkResult) -> tuple[str, WrkResult]:
    print(
        f"  {label:<44} {r.requests_per_second:>8,.0f} req/s  p50 {r.p50_ms:7.2f} ms  p99 {r.p99_ms:7.2f} ms"
        f"  errors {r.errors}",
        flush=True,
    )
    return label, r


def document(rows: list[tuple[str, WrkResult]], args: argparse.Namespace, load: tuple[float, float]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# District overview benchmark",
        "",
        "Written by `bench/bench_overview.py` (issue 15: ≥ 300 req/s with p99 < 100 ms at 16 connections).",
        "",
        f"* date: {when}; district {args.district} with the full 2017 demo data plus a year of budget and"
        " evaluation records (see the script's docstring)",
        f"* machine: {os.cpu_count()} CPUs, {cpu_model()}, {platform.system()} {platform.release()}",
        f"* load: `wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency`, warm-up"
        f" {args.warmup:g}s; every process 1 uvicorn worker, LOG_LEVEL=WARNING",
        f"* load average (1 min) at start {load[0]:.2f}, at the end {load[1]:.2f}",
        "",
        "| what | req/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, r in rows:
        lines.append(
            f"| {label} | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} |"
        )
    return "\n".join([*lines, ""])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", help="an administrator's PostgreSQL URL (default: embedded)")
    parser.add_argument("--district", default="11620", help="the district measured (default 11620, 관악구)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each row (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record the services and the uncached gateway with py-spy during the uncached overview row",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print(
            "error: `wrk` is not installed; `apt-get install -y wrk` (see bench/README.md)", file=sys.stderr
        )
        return 2
    start_load = os.getloadavg()[0]
    procs = Processes(Path(tempfile.mkdtemp(prefix="bench-overview-")))
    started = time.monotonic()
    rows = run(args, procs)
    print(f"\n{time.monotonic() - started:.0f}s; logs in {procs.log_dir}", flush=True)
    if not args.no_write:
        args.output.write_text(document(rows, args, (start_load, os.getloadavg()[0])), encoding="utf-8")
        print(f"written to {args.output.relative_to(ROOT)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
