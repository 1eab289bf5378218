"""A real headless Chromium (Debian's, driven through Debian's ChromeDriver with Selenium) against the system.

`make browser` (run by `make test`) installs chromium, chromium-driver and a Korean font when missing. The
browser is closed to every host but 127.0.0.1 (`--host-resolver-rules`), so a page that needed a CDN would
fail here as it would on a closed city network. Pages are served from other origins by small static servers.
"""

import contextlib
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from ops.processes import stop_processes
from tests.conftest import Database, own_database
from tests.e2e.conftest import APPS, System, free_port, wait_ready

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PHONE = (390, 844)
PAGE = (
    "<!doctype html><html lang='ko'><meta charset='utf-8'>"
    "<meta name='viewport' content='width=device-width, initial-scale=1'>"
    "<title>frontend</title><body></body></html>"
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Closed to the outside: every host name but 127.0.0.1 fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    f"--window-size={PHONE[0]},{PHONE[1]}",  # at least 500 wide: the chart test emulates a phone
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def static_site(root: Path) -> Iterator[str]:
    """A static file server on its own port (its own origin) in a thread; yields the origin."""
    (root / "index.html").write_text(PAGE, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="package")
def allowed_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with static_site(tmp_path_factory.mktemp("allowed-site")) as origin:
        yield origin


@pytest.fixture(scope="package")
def other_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with static_site(tmp_path_factory.mktemp("other-site")) as origin:
        yield origin


@pytest.fixture(scope="session")
def database(database: Database) -> Database:
    """The processes here commit what they write: on a database of their own, not the unit tests'."""
    return own_database(database, "seoul_test_browser")


@pytest.fixture(scope="package")
def system(
    database: Database, allowed_origin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """The three services and a gateway as real processes (as tests/e2e's), the gateway allowing the
    allowed site's origin only; stopped when the browser tests are done."""
    ports = {name: free_port() for name in APPS}
    env = {**os.environ, "GATEWAY_CORS_ORIGINS": json.dumps([allowed_origin])}
    for service, url in database.service_urls.items():
        env[f"{service.upper()}_DATABASE_URL"] = url
        env[f"GATEWAY_{service.upper()}_URL"] = f"http://127.0.0.1:{ports[service]}"
    # The services' calls to each other, as tests/e2e's system makes them (the evaluation chart's target
    # names a councils organisation); the outbox relay stays off, as there.
    env["COUNCILS_URL"] = f"http://127.0.0.1:{ports['councils']}"
    env["EVALUATION_BUDGET_URL"] = f"http://127.0.0.1:{ports['budget']}"
    env["EVALUATION_COUNCILS_URL"] = f"http://127.0.0.1:{ports['councils']}"
    env["EVALUATION_RELAY_ENABLED"] = "false"
    system = System(ports, env, tmp_path_factory.mktemp("browser-logs"))
    try:
        for name in ports:
            system.start(name)
        # Four interpreters importing the app at once take long on a loaded 2-core machine.
        wait_ready(system, timeout=120)
        wait_routed(system.gateway)
        yield system
    finally:
        stop_processes(*system.processes.values())


def wait_routed(gateway: str, timeout: float = 120) -> None:
    """Until the gateway has read every service's OpenAPI (a slow start can miss one at first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            spec = httpx.get(f"{gateway}/openapi.json", timeout=10).json()
            routed = httpx.get(f"{gateway}/budget/elections", params={"limit": 1}, timeout=10)
            if "x-missing-services" not in spec and routed.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the gateway did not route every service in {timeout}s")


def require_browser() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: `make browser` installs Debian's chromium and chromium-driver",
            pytrace=False,
        )


def processes_using(marker: str) -> list[int]:
    """Processes whose command line names `marker` (the browser's own user-data-dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@contextlib.contextmanager
def chromium(profile: Path) -> Iterator[webdriver.Chrome]:
    """Debian's Chromium with a fresh profile; on exit, the browser and its driver are gone."""
    require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(profile.parent / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_script_timeout(30)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        deadline = time.monotonic() + 10
        while processes_using(str(profile)) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = processes_using(str(profile))
        # Only processes of this profile, started here; never by a broad name.
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(profile, ignore_errors=True)
        driver_process = service.process
        if driver_process is not None and driver_process.poll() is None:
            driver_process.kill()
            left.append(driver_process.pid)
        if left:
            raise AssertionError(f"the browser left processes behind: {left}")


@pytest.fixture(scope="package")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    with chromium(tmp_path_factory.mktemp("chromium") / "profile") as driver:
        yield driver
