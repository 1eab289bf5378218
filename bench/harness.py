"""What the benchmarks start and measure with: free ports, their subprocesses (stopped whatever happens), a
migrated PostgreSQL, wrk runs parsed, py-spy profiles, and the machine and versions for a results file.

Run a benchmark as a script (`.venv/bin/python bench/bench_<name>.py`); this module sits beside it.
"""

import argparse
import asyncio
import platform
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ops.processes import stop_processes
from ops.readiness import wait_until_ready

ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 60.0


# --- processes ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Processes:
    """Every subprocess this script starts, so that all of them are stopped whatever happens."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def uvicorn(self, name: str, app: str, port: int, env: dict[str, str], *extra: str) -> str:
        log = (self.log_dir / f"{name}.log").open("ab")
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            app,
            *extra,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "3",
        ]
        # Own session: a terminal Ctrl-C reaches only this script, which then stops the children in order.
        self.running[name] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return f"http://127.0.0.1:{port}"

    def pid(self, name: str) -> int:
        return self.running[name].pid

    def wait_ok(self, name: str, url: str, timeout: float = STARTUP_TIMEOUT) -> bytes:
        """Wait until `url` answers 200; returns the body. Fails if the process exits or the time runs out."""
        try:
            return wait_until_ready(url, self.running[name], timeout=timeout, interval=0.2)
        except RuntimeError as exc:
            raise RuntimeError(f"{name}: {exc}; see {self.log_dir / name}.log") from exc

    def stop(self, name: str) -> None:
        process = self.running.pop(name, None)
        if process is not None:
            stop_processes(process, timeout=8)

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):
            self.stop(name)


# --- PostgreSQL --------------------------------------------------------------------------------------------


@contextmanager
def database(admin_url: str | None) -> Iterator[dict[str, str]]:
    """Yields each service's database URL, migrated; starts (and then stops) an embedded server if needed."""
    from ops.devdb import EmbeddedPostgres, ensure_database
    from ops.migrate import migrate_all

    embedded = None
    if admin_url is None:
        embedded = EmbeddedPostgres(ROOT / ".data" / "pg-bench", free_port())
        if embedded.is_running():  # left over from an interrupted run, on a port we no longer know
            embedded.stop()
        print(f"embedded PostgreSQL on 127.0.0.1:{embedded.port} (data in .data/pg-bench)", flush=True)
        embedded.start()
        admin_url = embedded.admin_url("seoul_bench")
    try:
        asyncio.run(ensure_database(admin_url))
        # Only the councils schema is used here; the other services' migrations are not this bench's concern.
        yield migrate_all(admin_url, ("councils",))
    finally:
        if embedded is not None:
            embedded.stop()
            print("embedded PostgreSQL stopped", flush=True)


# --- wrk ---------------------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors (connect, read, write, timeout) plus non-2xx/3xx responses


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _latency_ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.MULTILINE)
    if not match:
        raise ValueError(f"no {percentile}% latency in wrk output:\n{text}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(text: str) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", text, re.MULTILINE)
    if not rps or not total:
        raise ValueError(f"unexpected wrk output:\n{text}")
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text, re.MULTILINE
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=_latency_ms(text, "50"),
        p99_ms=_latency_ms(text, "99"),
        requests=int(total.group(1)),
        errors=errors,
    )


def run_wrk(
    url: str, args: argparse.Namespace, duration: float, headers: dict[str, str] | None = None
) -> WrkResult:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration:g}s",
        "--timeout",
        "5s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr.strip()}")
    return parse_wrk(result.stdout)


def median(results: list[WrkResult]) -> WrkResult:
    """The run with the median req/s (its own latencies with it)."""
    ordered = sorted(results, key=lambda r: r.requests_per_second)
    if len(ordered) > 1:
        spread = ", ".join(f"{r.requests_per_second:,.0f}" for r in ordered)
        print(f"    rounds (req/s): {spread}", flush=True)
    return ordered[len(ordered) // 2]


def start_profiler(pid: int, out_dir: Path, name: str, duration: float) -> subprocess.Popen[bytes] | None:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        print("  (py-spy not found: `.venv/bin/pip install py-spy`; profiling skipped)", flush=True)
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(int(duration)), "--rate", "200"]
    command += ["--format", "raw", "--output", str(out_dir / f"{name}.txt"), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# --- the machine -------------------------------------------------------------------------------------------


def versions() -> str:
    names = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "httpx", "httpcore", "aiohttp")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (absent)")
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    wrk_version = (wrk.stdout + wrk.stderr).split("[")[0].strip() or "wrk"
    return f"Python {platform.python_version()}, " + ", ".join(found) + f", {wrk_version}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
