"""Gateway forwarding benchmark: httpx's own transport vs the aiohttp one (shared/transport.py), with wrk.

    .venv/bin/python bench/bench_gateway.py                      # embedded PostgreSQL under .data/pg-bench
    .venv/bin/python bench/bench_gateway.py --database-url postgresql://postgres@127.0.0.1:5432/seoul_bench

Starts, as subprocesses on free loopback ports: PostgreSQL (embedded, unless --database-url), the councils
service, a tiny DB-free FastAPI upstream defined here (`/councils/ping`), and for each transport a gateway
(uvicorn, 1 worker, no access log, LOG_LEVEL=WARNING). Each row is one `wrk --latency` run against one URL.
Prints a markdown table and writes it to bench/RESULTS_gateway.md. Every process it started is stopped on
exit, Ctrl-C or error. Needs `wrk` on PATH (see bench/README.md).
"""

import argparse
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # harness.py, however this module is imported
from harness import (
    ROOT,
    Processes,
    WrkResult,
    cpu_model,
    database,
    free_port,
    median,
    run_wrk,
    start_profiler,
    versions,
)

RESULTS = ROOT / "bench" / "RESULTS_gateway.md"
TRANSPORTS = ("httpx", "aiohttp")
DISTRICT_PATH = "/councils/districts/11110"
PING_PATH = "/councils/ping"
LIVEZ_PATH = "/livez"


# --- the DB-free upstream, served by uvicorn in its own process (`--app-dir bench bench_gateway:…`) --------


def create_stub_app() -> Any:
    """A bare FastAPI app answering `GET /councils/ping`: no middleware, no DB; isolates the forwarding.
    Its /openapi.json is the gateway's allow-list of its public paths (gateway/allowlist.py)."""
    from fastapi import FastAPI

    app = FastAPI(docs_url=None, redoc_url=None)

    @app.get(PING_PATH)
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app


# --- the benchmark -----------------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    via: str
    path: str
    upstream: str
    result: WrkResult
    direct: "Row | None" = None  # the same upstream path without the gateway, for the ratio


def measure(url: str, args: argparse.Namespace) -> WrkResult:
    """Warm up (pools, caches), then `--rounds` runs; the round with the median req/s is reported."""
    if args.warmup > 0:
        run_wrk(url, args, args.warmup)
    return median([run_wrk(url, args, args.duration) for _ in range(args.rounds)])


def report(row: Row) -> Row:
    r = row.result
    print(
        f"  {row.label:<42} {r.requests_per_second:>9,.0f} req/s  p50 {r.p50_ms:7.2f} ms  "
        f"p99 {r.p99_ms:7.2f} ms  errors {r.errors}",
        flush=True,
    )
    return row


def run(args: argparse.Namespace, procs: Processes) -> list[Row]:
    rows: list[Row] = []
    base_env = {**os.environ, "APP_ENV": "dev", "LOG_LEVEL": "WARNING", "PYTHONDONTWRITEBYTECODE": "1"}
    with database(args.database_url) as urls:
        try:
            measure_all(args, procs, urls, base_env, rows)
        finally:
            procs.stop_all()  # before the database stops
    return rows


def measure_all(
    args: argparse.Namespace,
    procs: Processes,
    urls: dict[str, str],
    base_env: dict[str, str],
    rows: list[Row],
) -> None:
    upstream_env = {**base_env, "COUNCILS_DATABASE_URL": urls["councils"]}
    councils = procs.uvicorn("councils", "services.councils.main:create_app", free_port(), upstream_env)
    stub = procs.uvicorn("stub", "bench_gateway:create_stub_app", free_port(), base_env, "--app-dir", "bench")
    procs.wait_ok("councils", councils + "/readyz")
    procs.wait_ok("councils", councils + DISTRICT_PATH)
    procs.wait_ok("stub", stub + PING_PATH)
    upstreams = {"stub": stub, "councils": councils}

    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency "
        f"(warm-up {args.warmup:g}s, {args.rounds} round(s))",
        flush=True,
    )
    direct: dict[str, Row] = {}
    for label, upstream, path in (
        ("upstream direct: stub (no DB)", "stub", PING_PATH),
        ("upstream direct: councils /livez (no DB)", "councils", LIVEZ_PATH),
        ("upstream direct: councils district (DB)", "councils", DISTRICT_PATH),
    ):
        row = Row(label, "direct", path, upstream, measure(upstreams[upstream] + path, args))
        direct[path] = report(row)
        rows.append(row)

    variants: list[tuple[str, str | None]] = [("", None)]
    if args.baseline_gateway:
        variants.append((f", {args.baseline_gateway.name}", str(args.baseline_gateway.resolve())))
    for upstream, path in (("stub", PING_PATH), ("councils", DISTRICT_PATH)):
        # Every gateway for this path runs at once (idle ones cost nothing) and the rounds alternate between
        # them, so that a drift in the machine's load hits all of them alike.
        gateways: dict[str, tuple[str, str]] = {}  # label -> (process name, url)
        for transport in args.transports:
            for suffix, app_dir in variants:
                name = f"gateway-{transport}-{upstream}{suffix.replace(', ', '-')}"
                gateway_env = {
                    **base_env,
                    "GATEWAY_TRANSPORT": transport,
                    "GATEWAY_COUNCILS_URL": upstreams[upstream],
                    # Not used by these paths; closed ports, so that nothing else is reached by accident.
                    "GATEWAY_BUDGET_URL": f"http://127.0.0.1:{free_port()}",
                    "GATEWAY_EVALUATION_URL": f"http://127.0.0.1:{free_port()}",
                }
                extra = ("--app-dir", app_dir) if app_dir else ()
                gateway = procs.uvicorn(name, "gateway.main:create_app", free_port(), gateway_env, *extra)
                target = "stub" if upstream == "stub" else "councils district"
                gateways[f"gateway ({transport}{suffix}) → {target}"] = (name, gateway + path)
        for name, url in gateways.values():
            procs.wait_ok(name, url)
            if args.warmup > 0:
                run_wrk(url, args, args.warmup)
        results: dict[str, list[WrkResult]] = {label: [] for label in gateways}
        for _ in range(args.rounds):
            for label, (name, url) in gateways.items():
                profiler = None
                if args.profile:
                    profiler = start_profiler(procs.pid(name), args.profile, name, args.duration)
                results[label].append(run_wrk(url, args, args.duration))
                if profiler is not None:
                    profiler.wait(timeout=60)
        for label, (name, _) in gateways.items():
            transport = label.split("(")[1].split(",")[0].split(")")[0]
            row = Row(label, transport, path, upstream, median(results[label]), direct[path])
            rows.append(report(row))
            procs.stop(name)


# --- output ------------------------------------------------------------------------------------------------


def markdown(rows: list[Row], args: argparse.Namespace) -> str:
    lines = [
        "| # | what | path | req/s | p50 ms | p99 ms | errors | vs direct |",
        "|---|------|------|------:|-------:|-------:|-------:|----------:|",
    ]
    for number, row in enumerate(rows, 1):
        r = row.result
        ratio = f"{r.requests_per_second / row.direct.result.requests_per_second:.0%}" if row.direct else "—"
        lines.append(
            f"| {number} | {row.label} | `{row.path}` | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} | "
            f"{r.p99_ms:.2f} | {r.errors} | {ratio} |"
        )
    return "\n".join(lines)


def results_document(rows: list[Row], args: argparse.Namespace, elapsed: float) -> str:
    when = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    db = "given --database-url" if args.database_url else "embedded PostgreSQL (.data/pg-bench)"
    return "\n".join(
        [
            "# Gateway forwarding benchmark",
            "",
            "Written by `bench/bench_gateway.py` (what the rows mean: `bench/README.md`).",
            "",
            f"* date: {when}",
            f"* machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}, "
            f"{platform.system()} {platform.release()}",
            f"* versions: {versions()}",
            f"* load: `wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency`, "
            f"warm-up {args.warmup:g}s, {args.rounds} round(s) per row (median reported), loopback; "
            f"every process 1 uvicorn worker, `--no-access-log`, LOG_LEVEL=WARNING; database: {db}",
            f"* load average (1 min) at start: {args.load_at_start:.2f}, at the end: {os.getloadavg()[0]:.2f}"
            " (the gateway and its upstream use one core each; anything else running skews the numbers)",
            f"* total time: {elapsed:.0f}s",
            "",
            markdown(rows, args),
            "",
            "*vs direct*: the gateway's req/s as a share of the same upstream path called directly.",
            "",
        ]
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        help="an administrator's PostgreSQL URL (database created if missing, then migrated); "
        "default: an embedded PostgreSQL under .data/pg-bench on a free port",
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each row (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per row, median kept (default 3)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--transports", nargs="+", choices=TRANSPORTS, default=list(TRANSPORTS))
    parser.add_argument("--output", type=Path, default=RESULTS, help="markdown file written at the end")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record each gateway run with py-spy (raw collapsed stacks into DIR, the last round's)",
    )
    parser.add_argument(
        "--baseline-gateway",
        type=Path,
        metavar="DIR",
        help="also measure the `gateway` package found in DIR (e.g. an older version of it), interleaved",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.duration <= 0 or args.connections < 1 or args.threads < 1:
        parser.error("--rounds, --duration, --connections and --threads must be positive")
    if args.threads > args.connections:
        parser.error("wrk needs at least as many connections as threads")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print(
            "error: `wrk` is not installed (or not on PATH). Install it first, e.g. "
            "`apt-get install -y wrk` (Debian/Ubuntu) or `brew install wrk` (macOS); see bench/README.md.",
            file=sys.stderr,
        )
        return 2
    sys.path.insert(0, str(ROOT))

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    # Ctrl-C must stop everything even when SIGINT was inherited as ignored (e.g. started with `&`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    args.load_at_start = os.getloadavg()[0]
    if args.load_at_start > 0.5:
        print(
            f"warning: load average {args.load_at_start:.2f} before starting; other processes will skew "
            "the numbers (this benchmark wants an otherwise idle machine)",
            file=sys.stderr,
            flush=True,
        )
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as logs:
        procs = Processes(Path(logs))
        try:
            rows = run(args, procs)
        except KeyboardInterrupt:
            print("\ninterrupted; stopping every process", file=sys.stderr, flush=True)
            return 130
        except Exception as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            for log in sorted(Path(logs).glob("*.log")):
                tail = log.read_text(errors="replace")[-1500:].strip()
                if tail:
                    print(f"--- {log.name} (tail) ---\n{tail}", file=sys.stderr)
            return 1
        finally:
            procs.stop_all()
    document = results_document(rows, args, time.monotonic() - started)
    print("\n" + markdown(rows, args))
    if not args.no_write:
        args.output.write_text(document, encoding="utf-8")
        print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
