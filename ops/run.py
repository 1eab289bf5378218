"""Bring the whole system up: PostgreSQL (embedded unless DATABASE_URL is set), migrations, the three services
and the gateway, each its own process. Ctrl-C stops them all, and the embedded PostgreSQL too."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from gateway.settings import GatewaySettings
from ops.devdb import EmbeddedPostgres, ensure_database
from ops.migrate import migrate_all
from ops.processes import stop_processes
from ops.readiness import wait_until_ready
from services.budget.settings import BudgetSettings
from services.councils.settings import CouncilsSettings
from services.evaluation.settings import EvaluationSettings

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class ProcessSpec:
    name: str
    app: str
    port: int


def specs() -> list[ProcessSpec]:
    return [
        ProcessSpec("councils", "services.councils.main:create_app", CouncilsSettings().port),
        ProcessSpec("budget", "services.budget.main:create_app", BudgetSettings().port),
        ProcessSpec("evaluation", "services.evaluation.main:create_app", EvaluationSettings().port),
        ProcessSpec("gateway", "gateway.main:create_app", GatewaySettings().port),
    ]


def start_database() -> tuple[str, EmbeddedPostgres | None]:
    admin_url = os.environ.get("DATABASE_URL")
    if admin_url:
        return admin_url, None
    port = int(os.environ.get("DEV_PG_PORT", "54329"))
    embedded = EmbeddedPostgres(ROOT / ".data" / "pg-dev", port)
    print(f"starting embedded PostgreSQL on 127.0.0.1:{port} (data in .data/pg-dev)", flush=True)
    embedded.start()
    return embedded.admin_url("seoul"), embedded


def child_env(urls: dict[str, str], process_specs: list[ProcessSpec]) -> dict[str, str]:
    env = dict(os.environ)
    for service, url in urls.items():
        env.setdefault(f"{service.upper()}_DATABASE_URL", url)
    for spec in process_specs:
        if spec.name != "gateway":
            env.setdefault(f"GATEWAY_{spec.name.upper()}_URL", f"http://127.0.0.1:{spec.port}")
        if spec.name == "councils":  # the budget service checks amendments' council decisions there
            env.setdefault("COUNCILS_URL", f"http://127.0.0.1:{spec.port}")
            env.setdefault("EVALUATION_COUNCILS_URL", f"http://127.0.0.1:{spec.port}")  # reference checks
        if spec.name == "budget":  # where evaluation's outbox relay delivers confirmed results
            env.setdefault("EVALUATION_BUDGET_URL", f"http://127.0.0.1:{spec.port}")
    env.setdefault("EVALUATION_RELAY_ENABLED", "true")  # `make demo-year` waits for its deliveries
    return env


def spawn(spec: ProcessSpec, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Own session: the terminal's Ctrl-C reaches only this supervisor, which stops children in order.
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            spec.app,
            "--host",
            "127.0.0.1",
            "--port",
            str(spec.port),
            "--no-server-header",
            "--timeout-graceful-shutdown",
            "5",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )


def wait_ready(
    process_specs: list[ProcessSpec], children: list[subprocess.Popen[bytes]], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    for spec, child in zip(process_specs, children, strict=True):
        left = max(1.0, deadline - time.monotonic())
        try:
            wait_until_ready(f"http://127.0.0.1:{spec.port}/readyz", child, timeout=left, interval=0.2)
        except RuntimeError as exc:
            raise RuntimeError(f"{spec.name} was not ready: {exc}") from exc


def stop(children: list[subprocess.Popen[bytes]], embedded: EmbeddedPostgres | None) -> None:
    stop_processes(*children)
    if embedded is not None:
        embedded.stop()
        print("embedded PostgreSQL stopped", flush=True)


def print_banner(process_specs: list[ProcessSpec]) -> None:
    gateway = process_specs[-1]
    lines = [f"  {spec.name:<11} http://127.0.0.1:{spec.port}" for spec in process_specs]
    print("\nSeoul governance backend is up:\n" + "\n".join(lines))
    print(f"\n  API docs    http://127.0.0.1:{gateway.port}/docs")
    print(f"  try         curl http://127.0.0.1:{gateway.port}/councils/districts")
    print("  token       make token ROLE=city_officer   (or ROLE=district_officer DISTRICT=11110)")
    print("  demo data   make demo\n\nCtrl-C stops everything.", flush=True)


def main() -> None:
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    admin_url, embedded = start_database()
    children: list[subprocess.Popen[bytes]] = []
    exit_code = 0
    try:
        asyncio.run(ensure_database(admin_url))
        urls = migrate_all(admin_url)
        process_specs = specs()
        env = child_env(urls, process_specs)
        children = [spawn(spec, env) for spec in process_specs]
        wait_ready(process_specs, children, timeout=60)
        print_banner(process_specs)
        while not stopping:
            for spec, child in zip(process_specs, children, strict=True):
                if child.poll() is not None:
                    print(f"{spec.name} exited with {child.returncode}; stopping everything", flush=True)
                    stopping, exit_code = True, 1
            time.sleep(0.5)
    except Exception as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        exit_code = 1
    finally:
        print("stopping…", flush=True)
        stop(children, embedded)
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
