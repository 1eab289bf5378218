"""The whole system as real processes: three services and the gateway, each a uvicorn on a free port."""

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from ops.processes import stop_processes
from ops.readiness import wait_until_ready
from tests.conftest import Database, own_database

ROOT = Path(__file__).resolve().parents[2]
APPS = {
    "councils": "services.councils.main:create_app",
    "budget": "services.budget.main:create_app",
    "evaluation": "services.evaluation.main:create_app",
    "gateway": "gateway.main:create_app",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_server_port() -> int:
    """A free port below the kernel's ephemeral range (32768+), so that no outgoing connection can take it
    while its server restarts (a restarted PostgreSQL must bind the same port again)."""
    for port in random.sample(range(20000, 32000), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


@dataclass
class System:
    ports: dict[str, int]
    env: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str) -> None:
        self.processes[name] = start(name, self.ports[name], self.env, self.log_dir)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def gateway(self) -> str:
        return self.url("gateway")


def start(name: str, port: int, env: dict[str, str], log_dir: Path) -> subprocess.Popen[bytes]:
    log = (log_dir / f"{name}.log").open("ab")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            APPS[name],
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_ready(system: System, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    for name, process in system.processes.items():
        left = max(1.0, deadline - time.monotonic())
        wait_until_ready(f"{system.url(name)}/readyz", process, timeout=left)


@pytest.fixture(scope="session")
def database(database: Database) -> Database:
    """The processes here commit what they write: on a database of their own, not the unit tests'."""
    return own_database(database, "seoul_test_e2e")


@pytest.fixture(scope="session")
def system(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    ports = {name: free_port() for name in APPS}
    env = dict(os.environ)
    for service, url in database.service_urls.items():
        env[f"{service.upper()}_DATABASE_URL"] = url
        env[f"GATEWAY_{service.upper()}_URL"] = f"http://127.0.0.1:{ports[service]}"
    env["COUNCILS_URL"] = f"http://127.0.0.1:{ports['councils']}"  # amendments' council decisions
    env["EVALUATION_BUDGET_URL"] = f"http://127.0.0.1:{ports['budget']}"
    env["EVALUATION_COUNCILS_URL"] = f"http://127.0.0.1:{ports['councils']}"  # reference checks
    # The outbox relay's own tests (test_outbox_delivery.py) run it on a database of their own.
    env["EVALUATION_RELAY_ENABLED"] = "false"
    # Likewise the amendments' council re-check loop (test_amendments_councils.py runs a budget of its own).
    env["BUDGET_COUNCIL_RECHECK_ENABLED"] = "false"
    system = System(ports, env, tmp_path_factory.mktemp("logs"))
    try:
        for name in ports:
            system.start(name)
        wait_ready(system)
        # Each service builds its OpenAPI document once; on a loaded machine the first build can outlast the
        # gateway's route-table timeout (a 504 for the first request), so it is built before tests start.
        for name in database.service_urls:
            httpx.get(f"{system.url(name)}/openapi.json", timeout=60)
        yield system
    finally:
        stop_processes(*system.processes.values())


@pytest.fixture
def gateway(system: System) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=system.gateway, timeout=10) as client:
        yield client


def serve(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A uvicorn process with these arguments, its output appended to `log`."""
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *args],
        env=env,
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_answering(url: str, process: subprocess.Popen[bytes]) -> None:
    """Wait until `url` answers anything (60 s at most: imports alone can take 15 s on a loaded machine),
    failing if the process exits first."""
    wait_until_ready(url, process, timeout=60, any_answer=True)


@contextmanager
def running(name: str, port: int, env: dict[str, str], log_dir: Path) -> Iterator[str]:
    """One service process on `port`, answering before the body runs and stopped after; yields its URL."""
    process = start(name, port, env, log_dir)
    try:
        wait_answering(f"http://127.0.0.1:{port}/livez", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_processes(process)


@contextmanager
def gateway_over_echo(log: Path, settings: Callable[[str, str], dict[str, str]]) -> Iterator[str]:
    """A real echo upstream (tests/e2e/echo_app.py) behind a real gateway; yields the gateway's URL.

    `settings(echo_url, dead_url)` gives the gateway's environment: which services the echo stands in for, and
    which point at a port where nothing listens.
    """
    echo_port, gateway_port, dead_port = free_port(), free_port(), free_port()
    env = {**os.environ, **settings(f"http://127.0.0.1:{echo_port}", f"http://127.0.0.1:{dead_port}")}
    echo = serve(["tests.e2e.echo_app:app", "--port", str(echo_port)], env, log)
    gateway = serve(["--factory", "gateway.main:create_app", "--port", str(gateway_port)], env, log)
    try:
        wait_answering(f"http://127.0.0.1:{echo_port}/openapi.json", echo)
        wait_answering(f"http://127.0.0.1:{gateway_port}/livez", gateway)
        yield f"http://127.0.0.1:{gateway_port}"
    finally:
        stop_processes(gateway, echo)
