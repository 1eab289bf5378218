"""Hot paths against the raw ceiling (issue #12), in one run, with the same load generator: wrk.

    .venv/bin/python bench/bench_ceiling.py                   # embedded PostgreSQL under .data/pg-bench
    .venv/bin/python bench/bench_ceiling.py --database-url postgresql://postgres@127.0.0.1:5432/seoul_bench

Starts (1 uvicorn worker each, loopback): the raw app (`bench/raw_app.py`: FastAPI + one asyncpg pool),
councils (LOG_LEVEL=INFO, i.e. its access log on, as `make run`), budget and the gateway (LOG_LEVEL=WARNING).
Loads the 2017 councils records (`ops.demo.load_councils`) so that a body and a membership page exist. Then,
each row one `wrk --latency` run (after a warm-up) on the same PostgreSQL:
* ballots, 32 connections, a Lua script giving every request its own voter token (minted beforehand), a
  fresh election per run: the raw upsert, `PUT /budget/elections/{id}/ballot` through the gateway and
  straight to budget;
* reads, 16 connections: the raw primary-key read, `GET /councils/districts/11110`,
  `GET /councils/bodies/{id}`, `GET /councils/memberships?organization_id={id}` straight to councils;
* the published outcome of Łódź 2022 (imported published, 90,494 ballots) read anonymously, straight to
  budget, against the same raw primary-key read;
* at once (`bench/published_load.py`): ballots through the gateway and district reads, each alone and then
  while a steady audience reads that published outcome through the gateway.
Writes the ratios to bench/RESULTS.md (section `ceiling`). Needs `wrk` on PATH.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import published_load  # noqa: E402
from bench.harness import Processes, WrkResult, free_port, start_profiler  # noqa: E402
from bench.results_file import write_section  # noqa: E402
from ops import demo  # noqa: E402
from shared.auth import mint_token  # noqa: E402
from shared.settings import CommonSettings  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
BALLOT_LUA = """
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local step = tonumber(os.getenv("BENCH_THREADS"))
local next_id = 0
function setup(thread) thread:set("first", next_id); next_id = next_id + 1 end
function init(args) i = first + 1 end
wrk.method = "PUT"
wrk.body = '{"project_ids":["1","2","3"]}'
function request()
  local token = tokens[((i - 1) % #tokens) + 1]
  i = i + step
  return wrk.format(nil, nil, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token})
end
"""
PROJECTS = [{"project_id": str(i), "name": f"사업 {i}", "cost_krw": 10_000_000} for i in range(1, 31)]


@dataclass
class Row:
    label: str
    kind: str  # "ballots" or "reads"
    result: WrkResult
    ceiling: "Row | None" = None
    cpu_ms: dict[str, float] | None = None  # CPU time per request of each serving process
    ratios: list[float] | None = None  # to the ceiling's run of the same round, one a round


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): per-request CPU does not depend on the
    machine's load the way req/s does."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(
    url: str, connections: int, duration: float, threads: int, script: Path | None = None
) -> WrkResult:
    return published_load.wrk_result(
        published_load.start_wrk(url, connections, duration, threads, script), duration
    )


def election_factory(budget: str, city_token: str) -> Callable[[], int]:
    def create() -> int:
        now = datetime.now(UTC)
        body = {
            "name_ko": "벤치마크 주민투표",
            "budget_krw": 300_000_000,
            "projects": PROJECTS,
            "ballot": {"type": "approval", "max_length": 5},
            "opens_at": (now - timedelta(minutes=1)).isoformat(),
            "closes_at": (now + timedelta(hours=2)).isoformat(),
        }
        headers = {"Authorization": f"Bearer {city_token}"}
        response = httpx.post(f"{budget}/budget/elections", json=body, headers=headers, timeout=30)
        response.raise_for_status()
        election_id: int = response.json()["id"]
        return election_id

    return create


def seed_councils(councils: str, city_token: str) -> tuple[int, int]:
    """The 2017 councils with their seats; returns a body's id and how many memberships it has."""
    headers = {"Authorization": f"Bearer {city_token}"}
    with httpx.Client(base_url=councils, headers=headers, timeout=60) as client:
        api = demo.Api(client)
        demo.load_councils(api, demo.read_csv("innovation_plan_councils.csv"))
        body = next(api.items("/councils/bodies", kind="district_council"))
        members = sum(1 for _ in api.items("/councils/memberships", organization_id=body["id"]))
    return int(body["id"]), members


def ballot_load(work: Path, voters: int, threads: int) -> tuple[str, Path]:
    """A city officer's token, and the wrk script casting ballots with one minted voter token a request
    (the tokens' file and the thread count passed to it through the environment)."""
    settings = CommonSettings()
    city = mint_token(settings, subject="bench-city", role="city_officer", ttl_seconds=7200)
    tokens = work / "tokens.txt"
    tokens.write_text(
        "\n".join(
            mint_token(settings, subject=f"voter-{i}", role="citizen", ttl_seconds=7200)
            for i in range(voters)
        )
        + "\n"
    )
    script = work / "ballot.lua"
    script.write_text(BALLOT_LUA)
    os.environ["BENCH_TOKENS"] = str(tokens)
    os.environ["BENCH_THREADS"] = str(threads)
    return city, script


def measure_all(
    args: argparse.Namespace, procs: Processes, urls: dict[str, str], work: Path
) -> tuple[list[Row], str]:
    city, script = ballot_load(work, args.tokens, args.threads)

    base = {**os.environ, "APP_ENV": "dev", "LOG_LEVEL": "WARNING", "PYTHONDONTWRITEBYTECODE": "1"}
    ports = {name: free_port() for name in ("raw", "councils", "budget", "evaluation", "gateway")}
    raw = procs.uvicorn(
        "raw",
        "raw_app:create_app",
        ports["raw"],
        {**base, "RAW_DATABASE_URL": urls["admin"]},
        "--app-dir",
        "bench",
    )
    councils = procs.uvicorn(
        "councils",
        "services.councils.main:create_app",
        ports["councils"],
        {**base, "LOG_LEVEL": "INFO", "COUNCILS_DATABASE_URL": urls["councils"]},
    )
    service_env = {
        **base,
        "BUDGET_DATABASE_URL": urls["budget"],
        "EVALUATION_DATABASE_URL": urls["evaluation"],
    }
    for name in ("councils", "budget", "evaluation"):
        service_env[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
    service_env["COUNCILS_URL"] = councils
    budget = procs.uvicorn("budget", "services.budget.main:create_app", ports["budget"], service_env)
    gateway = procs.uvicorn("gateway", "gateway.main:create_app", ports["gateway"], service_env)
    procs.wait_ok("raw", raw + "/raw/districts/11110")
    procs.wait_ok("councils", councils + "/readyz")
    procs.wait_ok("budget", budget + "/readyz")
    procs.wait_ok("gateway", gateway + "/readyz")
    body_id, members = seed_councils(councils, city)
    print(f"body {body_id} with {members} memberships", flush=True)
    new_election = election_factory(budget, city)

    raw_election = iter(range(1_000_000, 2_000_000))
    ballot_rows: list[tuple[str, Callable[[], str]]] = [
        (
            "raw app: ballot-shaped upsert (asyncpg)",
            lambda: f"{raw}/raw/elections/{next(raw_election)}/ballot",
        ),
        (
            "`PUT /budget/elections/{id}/ballot` through the gateway",
            lambda: f"{gateway}/budget/elections/{new_election()}/ballot",
        ),
        ("the same, straight to budget", lambda: f"{budget}/budget/elections/{new_election()}/ballot"),
    ]
    read_rows = [
        ("raw app: primary-key read of a district (asyncpg)", f"{raw}/raw/districts/11110"),
        ("`GET /councils/districts/11110` (access log on)", f"{councils}/councils/districts/11110"),
        (f"`GET /councils/bodies/{body_id}` (access log on)", f"{councils}/councils/bodies/{body_id}"),
        (
            f"`GET /councils/memberships?organization_id={body_id}`"
            f" (page of {min(members, 50)}, access log on)",
            f"{councils}/councils/memberships?organization_id={body_id}",
        ),
    ]
    urls_by_name = {"raw": raw, "councils": councils, "budget": budget, "gateway": gateway}
    published = (0, 0)
    if args.rows in ("all", "reads", "mixed"):
        published = published_load.import_published(budget, city)
        print(f"published election {published[0]} with {published[1]:,} ballots", flush=True)
        read_rows.append(
            (
                f"`GET /budget/elections/{{id}}/outcome` (published, {published[1]:,} ballots, anonymous)",
                f"{budget}/budget/elections/{published[0]}/outcome",
            )
        )
    rows: list[Row] = []
    print(
        f"wrk -t{args.threads} --latency, {args.duration:g}s per row after a {args.warmup:g}s warm-up",
        flush=True,
    )
    if args.rows in ("all", "ballots"):
        specs = [(label, url_of, script) for label, url_of in ballot_rows]
        rows += measure_rounds(args, procs, urls["admin"], urls_by_name, "ballots", specs)
    if args.rows in ("all", "reads"):
        reads = [(label, (lambda url=url: url), None) for label, url in read_rows]
        rows += measure_rounds(args, procs, urls["admin"], urls_by_name, "reads", reads)
    mixed = ""
    if args.rows in ("all", "mixed"):
        mixed = measure_at_once(args, work, script, published, urls_by_name, new_election)
    return rows, mixed


def measure_rounds(
    args: argparse.Namespace,
    procs: Processes,
    admin_url: str,
    urls_by_name: dict[str, str],
    kind: str,
    specs: list[tuple[str, Callable[[], str], Path | None]],
) -> list[Row]:
    """`--rounds` rounds of the rows in `specs`, the first its ceiling; each row's medians, and its ratio the
    median of its ratios to the ceiling's run in the same round (the same minutes of a shared machine)."""
    connections = args.ballot_connections if kind == "ballots" else args.read_connections
    runs: dict[str, list[tuple[WrkResult, dict[str, float]]]] = {label: [] for label, _, _ in specs}
    for round_index in range(args.rounds):
        for label, url_of, script in specs:
            if args.warmup > 0:
                run_wrk(url_of(), connections, args.warmup, args.threads, script)
            url = url_of()
            serving = serving_processes(url, urls_by_name)
            target = profile_target(label) if round_index == 0 else None
            profiler = profile(args, procs, *target) if target else None
            backends = Backends.of(admin_url, serving)
            before = {name: cpu_seconds(procs.pid(name)) for name in serving}
            result = run_wrk(url, connections, args.duration, args.threads, script)
            cpu = per_request(procs, before, result, backends)
            if profiler is not None:
                profiler.wait(timeout=120)
            runs[label].append((result, cpu))
            report(Row(label, kind, result, None, cpu))
            if kind == "ballots" and result.requests > args.tokens:
                print(
                    f"  ({result.requests - args.tokens} requests reused a token: raise --tokens)", flush=True
                )
    rows: list[Row] = []
    ceiling_runs = runs[specs[0][0]]
    for label, _, _ in specs:
        mine = runs[label]
        ratios = None
        if rows:
            ratios = [
                r.requests_per_second / c.requests_per_second
                for (r, _), (c, _) in zip(mine, ceiling_runs, strict=True)
            ]
        rows.append(
            Row(label, kind, median_result(mine), rows[0] if rows else None, median_cpu(mine), ratios)
        )
    print(f"medians of {args.rounds} rounds, ratios to the ceiling's run of the same round:", flush=True)
    for row in rows:
        report(row)
    return rows


def profile_target(label: str) -> tuple[str, str] | None:
    """The process `--profile` records during a row, and the row's name for its file."""
    if "straight" in label:
        return "budget", "ballots-direct"
    if "gateway" in label:
        return "gateway", "ballots-gateway"
    name = next((n for n in ("districts", "bodies", "memberships") if f"/councils/{n}" in label), None)
    return ("councils", name) if name else None


def median_result(runs: list[tuple[WrkResult, dict[str, float]]]) -> WrkResult:
    results = [result for result, _ in runs]
    return WrkResult(
        requests_per_second=statistics.median(r.requests_per_second for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
    )


def median_cpu(runs: list[tuple[WrkResult, dict[str, float]]]) -> dict[str, float]:
    names = runs[0][1].keys()
    return {name: statistics.median(cpu[name] for _, cpu in runs if name in cpu) for name in names}


def measure_at_once(
    args: argparse.Namespace,
    work: Path,
    script: Path,
    published_election: tuple[int, int],
    urls: dict[str, str],
    new_election: Callable[[], int],
) -> str:
    """Ballots and district reads at full speed while the published outcome is read by a steady audience."""
    published, ballots = published_election
    gateway, councils = urls["gateway"], urls["councils"]
    crowd = published_load.audience(gateway, published, args.audience, args.audience_pause, work)
    loads = [
        published_load.Load(
            "`PUT /budget/elections/{id}/ballot` through the gateway",
            lambda: f"{gateway}/budget/elections/{new_election()}/ballot",
            args.ballot_connections,
            script,
        ),
        published_load.Load(
            "`GET /councils/districts/11110` (access log on)",
            lambda: f"{councils}/councils/districts/11110",
            args.read_connections,
        ),
    ]
    crowd_alone, measured = published_load.measure(loads, crowd, args.duration, args.warmup, args.threads)
    return published_load.markdown(crowd, crowd_alone, measured, ballots)


def backend_cpu(admin_url: str, application: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving `application` in this database (/proc: only for a
    server on this machine; empty otherwise)."""
    import asyncio

    import asyncpg

    async def pids() -> list[int]:
        connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            rows = await connection.fetch(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = $1",
                application,
            )
        finally:
            await connection.close()
        return [row["pid"] for row in rows]

    found: dict[int, float] = {}
    for pid in asyncio.run(pids()):
        try:
            found[pid] = cpu_seconds(pid)
        except OSError:  # not on this machine, or gone
            continue
    return found


def serving_processes(url: str, urls_by_name: dict[str, str]) -> list[str]:
    """The process wrk talks to, and the upstream behind the gateway."""
    name = next(name for name, base in urls_by_name.items() if url.startswith(base + "/"))
    if name != "gateway":
        return [name]
    return ["gateway", "budget" if "/budget/" in url else "councils"]


def per_request(
    procs: Processes, before: dict[str, float], result: WrkResult, backends: "Backends"
) -> dict[str, float]:
    count = max(result.requests, 1)
    cpu = {name: (cpu_seconds(procs.pid(name)) - start) * 1000 / count for name, start in before.items()}
    after = backend_cpu(backends.admin_url, backends.application)
    if after:
        spent = sum(seconds - backends.before.get(pid, 0.0) for pid, seconds in after.items())
        cpu["postgres"] = spent * 1000 / count
    return cpu


@dataclass
class Backends:
    """The PostgreSQL backends of the application a row loads (its database work), CPU read before the row."""

    admin_url: str
    application: str
    before: dict[int, float]

    @classmethod
    def of(cls, admin_url: str, serving: list[str]) -> "Backends":
        application = serving[-1]  # the upstream behind the gateway: the one that talks to PostgreSQL
        return cls(admin_url, application, backend_cpu(admin_url, application))


def profile(
    args: argparse.Namespace, procs: Processes, name: str, row: str
) -> "subprocess.Popen[bytes] | None":
    """py-spy on a service during one row (`--profile DIR`), as collapsed stacks in DIR/<row>.txt."""
    if args.profile is None:
        return None
    return start_profiler(procs.pid(name), args.profile, row, args.duration)


def ratio_of(row: Row) -> float | None:
    """The median of the row's per-round ratios; without rounds, its rate over its ceiling's."""
    if row.ratios:
        return statistics.median(row.ratios)
    if row.ceiling is None:
        return None
    return row.result.requests_per_second / row.ceiling.result.requests_per_second


def ratio_text(row: Row) -> str:
    ratio = ratio_of(row)
    if ratio is None:
        return "—"
    if row.ratios and len(row.ratios) > 1:
        return f"{ratio:.2f} ({', '.join(f'{r:.2f}' for r in row.ratios)})"
    return f"{ratio:.2f}"


def report(row: Row) -> Row:
    r = row.result
    ratio = f"  ratio {ratio_text(row)}" if row.ceiling else ""
    print(
        f"  {row.label:<70} {r.requests_per_second:>8,.0f}/s p50 {r.p50_ms:6.1f} ms p99 {r.p99_ms:7.1f} ms"
        f" errors {r.errors}{ratio}  CPU ms/request: {cpu_text(row)}",
        flush=True,
    )
    return row


def cpu_text(row: Row) -> str:
    return ", ".join(f"{name} {ms:.2f}" for name, ms in (row.cpu_ms or {}).items())


def markdown(rows: list[Row], args: argparse.Namespace, load: tuple[float, float]) -> str:
    lines = [
        "## Hot paths against the raw ceiling (`bench/bench_ceiling.py`)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs shared with other engineers' work "
        f"(load average {load[0]:.1f} at start, {load[1]:.1f} at the end: absolute figures are noisy, "
        "the ratios "
        "measured in the same run are the meaningful numbers). Every process one uvicorn worker; `wrk "
        f"-t{args.threads} -d{args.duration:g}s --latency` after a {args.warmup:g}s warm-up; ballots at "
        f"{args.ballot_connections} connections, each request its own voter token, a fresh election per run; "
        f"reads at {args.read_connections} connections. {args.rounds} rounds, the rows interleaved in each: "
        "req/s, latencies and CPU are medians over the rounds, a ratio the median of the row's ratios to "
        "its ceiling's run in the same round (each round's in brackets). "
        "CPU ms a request: user + system CPU time of each "
        "serving process over the row divided by its requests (less load-dependent than req/s), `postgres` "
        "that of the PostgreSQL backends of the service (or raw app) that does the database work. "
        "Raw ceiling: `bench/raw_app.py` "
        "(FastAPI + one asyncpg pool).",
        "",
        "| path | req/s | p50 ms | p99 ms | errors | CPU ms a request | raw ceiling, same run | ratio "
        "| goal |",
        "|---|--:|--:|--:|--:|---|--:|--:|---|",
    ]
    for row in rows:
        r = row.result
        if row.ceiling is None:
            lines.append(
                f"| {row.label} | {r.requests_per_second:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
                f"{r.errors} | {cpu_text(row)} | — | — | ceiling |"
            )
            continue
        ratio = ratio_of(row) or 0.0
        goal = "≥ 0.5" + (" and p99 < 100 ms" if "gateway" in row.label else "")
        met = ratio >= 0.5 and ("gateway" not in row.label or r.p99_ms < 100)
        if "/outcome" in row.label:  # the issue asks a primary-key read, whatever the electorate's size
            goal, met = "one primary-key read a request (tests/budget/test_outcome_reads.py); ≥ 0.5", met
        lines.append(
            f"| {row.label} | {r.requests_per_second:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | "
            f"{cpu_text(row)} | {row.ceiling.result.requests_per_second:,.0f} | {ratio_text(row)} | "
            f"{goal}: {'met' if met else 'NOT met'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every row, interleaved")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ballot-connections", type=int, default=32)
    parser.add_argument("--read-connections", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=40_000)
    parser.add_argument("--audience", type=int, default=32, help="connections reading the published outcome")
    parser.add_argument("--audience-pause", type=int, default=100, help="ms each pauses between its reads")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--rows",
        choices=("all", "ballots", "reads", "mixed"),
        default="all",
        help="a part only (implies --no-write)",
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy the gateway and budget (ballots) and councils (reads) here"
    )
    args = parser.parse_args()
    import asyncio

    from ops.devdb import EmbeddedPostgres, ensure_database
    from ops.migrate import migrate_all

    load_start = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-ceiling-"))
    procs = Processes(work)
    embedded = None
    admin_url = args.database_url
    try:
        if admin_url is None:
            embedded = EmbeddedPostgres(ROOT / ".data" / "pg-bench", free_port())
            if embedded.is_running():
                embedded.stop()
            embedded.start()
            admin_url = embedded.admin_url("seoul_bench")
        asyncio.run(ensure_database(admin_url, recreate=True))
        urls = {**migrate_all(admin_url), "admin": admin_url}
        started = time.perf_counter()
        rows, mixed = measure_all(args, procs, urls, work)
        print(f"measured in {time.perf_counter() - started:.0f}s; logs in {work}", flush=True)
    finally:
        procs.stop_all()
        if embedded is not None:
            embedded.stop()
    text = markdown(rows, args, (load_start, os.getloadavg()[0])) + mixed
    print(text)
    if not args.no_write and args.rows == "all":
        write_section("ceiling", text, RESULTS)


if __name__ == "__main__":
    main()
