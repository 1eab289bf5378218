"""Confirm → grant across processes: a result confirmed through the gateway reaches budget's grant once.

Councils, budget, evaluation (its relay on) and the gateway run as processes on a database of their own.
Budget's platform grant is made through the gateway; the evaluation target naming it, its confirmation
window (around today) and its notified result are written as SQL (the scoring that leads there is the
results tests' business). Budget is SIGKILLed before the confirmation and started again after it: the
confirmation is acknowledged while budget is down, and its event still arrives, once; the grant then carries
the result, and the next year's application is priced by it (increase: +10 %). A result naming a grant budget
does not have is refused for good (404): the event goes dead, blocks its target's later event, and is sent
again only when a city officer asks.
"""

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from ops.processes import stop_processes
from ops.readiness import wait_until_ready
from shared.auth import Role, mint_token
from shared.seoul import SEOUL
from shared.settings import CommonSettings, plain_url
from tests.conftest import Database, own_database
from tests.e2e.conftest import APPS, free_port, start

pytestmark = pytest.mark.e2e

M = 1_000_000
DISTRICT = "11110"


@dataclass
class City:
    urls: dict[str, str]
    env: dict[str, str]
    log_dir: Path
    ports: dict[str, int]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str) -> None:
        self.processes[name] = start(name, self.ports[name], self.env, self.log_dir)
        wait_until_ready(f"http://127.0.0.1:{self.ports[name]}/readyz", self.processes[name], timeout=90)

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def sql(self, service: str, query: str, *args: Any) -> list[asyncpg.Record]:
        async def run() -> list[asyncpg.Record]:
            conn = await asyncpg.connect(plain_url(self.urls[service]))
            try:
                return list(await conn.fetch(query, *args))
            finally:
                await conn.close()

        return asyncio.run(run())


@contextmanager
def running_city(database: Database, name: str, log_dir: Path, relay: dict[str, str]) -> Iterator[City]:
    """The three services and the gateway as real processes on a database of their own (`name`), calling each
    other, with evaluation's relay on under the `relay` settings; stopped on exit."""
    urls = own_database(database, name).service_urls
    ports = {app: free_port() for app in APPS}
    env = {**os.environ, "EVALUATION_RELAY_ENABLED": "true", **relay}
    for service, url in urls.items():
        env[f"{service.upper()}_DATABASE_URL"] = url
        env[f"GATEWAY_{service.upper()}_URL"] = f"http://127.0.0.1:{ports[service]}"
    env["COUNCILS_URL"] = env["EVALUATION_COUNCILS_URL"] = f"http://127.0.0.1:{ports['councils']}"
    env["EVALUATION_BUDGET_URL"] = f"http://127.0.0.1:{ports['budget']}"
    city = City(urls, env, log_dir, ports)
    try:
        for app in APPS:
            city.start(app)
        for service in urls:
            httpx.get(f"http://127.0.0.1:{ports[service]}/openapi.json", timeout=60)
        yield city
    finally:
        stop_processes(*city.processes.values())


@pytest.fixture(scope="module")
def city(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    relay = {"EVALUATION_RELAY_POLL_SECONDS": "0.1", "EVALUATION_RELAY_BACKOFF_BASE": "0.1"}
    relay["EVALUATION_RELAY_BACKOFF_MAX"] = "0.5"
    with running_city(database, "seoul_confirm", tmp_path_factory.mktemp("confirm-logs"), relay) as city:
        yield city


def bearer(role: Role, district: str | None = None) -> dict[str, str]:
    token = mint_token(CommonSettings(), subject=f"e2e-{role.value}", role=role, district_code=district)
    return {"Authorization": f"Bearer {token}"}


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


def platform_policy(year: int) -> dict[str, Any]:
    return {
        "yearly_max_krw": 100 * M,
        "max_years": 3,
        "increase_percent": 10,
        "reduce_percent": 20,
        "min_district_share_bp": 0,
        "phases": [
            {"phase": "operation", "applications_open_on": None, "application_deadline": f"{year}-12-31"}
        ],
    }


def application(year: int, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "civic_platform",
        "district_code": DISTRICT,
        "fiscal_year": year,
        "title_ko": "시민협력플랫폼",
        "district_share_krw": 0,
        **fields,
    }


def awarded_platform(client: httpx.Client, year: int) -> dict[str, Any]:
    city, officer = bearer(Role.city_officer), bearer(Role.district_officer, DISTRICT)
    for fiscal_year in (year, year + 1):
        ok(
            client.put(
                f"/budget/grant-policies/{fiscal_year}/civic_platform",
                json=platform_policy(fiscal_year),
                headers=city,
            )
        )
        body = {"funding_type": "separate", "neighbourhoods": 0}
        ok(client.put(f"/budget/districts/{DISTRICT}/funding/{fiscal_year}", json=body, headers=city))
    grant = ok(client.post("/budget/grants", json=application(year, amount_krw=50 * M), headers=officer))
    awarded: dict[str, Any] = ok(client.post(f"/budget/grants/{grant['id']}/award", headers=city))
    return awarded


def notified_result(city: City, year: int, grant_id: int) -> int:
    """A round-1 target naming the grant, its confirmation window around today, and its notified result."""
    today = datetime.now(SEOUL).date()
    (cycle,) = city.sql(
        "evaluation",
        "INSERT INTO evaluation.cycles (programme, name_ko, year, created_by)"
        " VALUES ('civic_platform', $1, $2, 'e2e') RETURNING id",
        f"{year}년 시민협력플랫폼 평가",
        year,
    )
    (target,) = city.sql(
        "evaluation",
        "INSERT INTO evaluation.targets (cycle_id, organization_id, district_code, grant_id, round,"
        " opened_at, opened_by, created_by) VALUES ($1, 1, $2, $3, 1, now(), 'e2e', 'e2e') RETURNING id",
        cycle["id"],
        DISTRICT,
        grant_id,
    )
    city.sql(
        "evaluation",
        "INSERT INTO evaluation.phase_windows (cycle_id, round, phase, starts_on, ends_on, original_ends_on,"
        " created_by) VALUES ($1, 1, 'confirmation', $2, $3, $3, 'e2e')",
        cycle["id"],
        today - timedelta(days=1),
        today + timedelta(days=1),
    )
    city.sql(
        "evaluation",
        "INSERT INTO evaluation.results (target_id, review_version, status, total, total_display, arithmetic,"
        " computed_at, computed_by, notified_at, notified_by)"
        " VALUES ($1, 1, 'notified', '92', 92, '{}'::jsonb, now(), 'e2e', now(), 'e2e')",
        target["id"],
    )
    return int(target["id"])


def wait_for(check: Any, seconds: float, message: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.1)


def test_a_result_confirmed_while_budget_is_down_reaches_its_grant_once_and_prices_the_next_year(
    city: City,
) -> None:
    year = datetime.now(SEOUL).year
    officer = bearer(Role.city_officer)
    with httpx.Client(base_url=city.gateway, timeout=30) as client:
        grant = awarded_platform(client, year)
        target_id = notified_result(city, year, grant["id"])

        city.kill("budget")
        body = {"category": "continue_with_increase", "reason": "현장 점검 결과 우수"}
        confirmed = ok(
            client.post(f"/evaluation/targets/{target_id}/result/confirm", json=body, headers=officer)
        )
        assert confirmed["status"] == "confirmed"

        def tried_while_down() -> bool:
            rows = city.sql(
                "evaluation",
                "SELECT attempts, delivered_at FROM evaluation.outbox_events WHERE ordering_key = $1",
                f"target:{target_id}",
            )
            return len(rows) == 1 and rows[0]["attempts"] >= 1 and rows[0]["delivered_at"] is None

        wait_for(tried_while_down, 30, "the relay never tried while budget was down")

        city.start("budget")

        def carried() -> Any:
            answer = client.get(f"/budget/grants/{grant['id']}", headers=officer)
            return answer.status_code == 200 and answer.json()["evaluation_result_id"]

        wait_for(carried, 60, "the confirmed result never reached the grant")
        (event,) = city.sql(
            "evaluation",
            "SELECT id, status FROM evaluation.outbox_events WHERE ordering_key = $1",
            f"target:{target_id}",
        )
        wait_for(
            lambda: (
                city.sql(
                    "evaluation", "SELECT status FROM evaluation.outbox_events WHERE id = $1", event["id"]
                )[0]["status"]
                == "delivered"
            ),
            30,
            "the relay never recorded the acknowledgement",
        )
        stored = city.sql(
            "budget",
            "SELECT category, event_id FROM budget.evaluation_results WHERE grant_id = $1",
            grant["id"],
        )
        assert [(row["category"], row["event_id"]) for row in stored] == [("increase", event["id"])]
        inbox = city.sql(
            "budget", "SELECT count(*) AS n FROM budget.inbox_events WHERE event_id = $1", event["id"]
        )
        assert inbox[0]["n"] == 1

        # The next year's grant continues the platform, priced by the delivered category.
        district = bearer(Role.district_officer, DISTRICT)
        following = ok(
            client.post(
                "/budget/grants", json=application(year + 1, previous_grant_id=grant["id"]), headers=district
            )
        )
        assert following["amount_krw"] == 55 * M and following["platform_year"] == 2


def test_a_result_for_a_grant_budget_does_not_have_goes_dead_blocks_its_target_and_is_retried_on_request(
    city: City,
) -> None:
    year = datetime.now(SEOUL).year
    officer, auditor = bearer(Role.city_officer), bearer(Role.auditor)
    with httpx.Client(base_url=city.gateway, timeout=30) as client:
        target_id = notified_result(city, year, grant_id=2_000_000_000)  # no such grant in budget
        body = {"category": "reduce", "reason": "실적 부족"}
        ok(client.post(f"/evaluation/targets/{target_id}/result/confirm", json=body, headers=officer))
        key = f"target:{target_id}"

        def dead() -> Any:
            listed = ok(client.get("/evaluation/outbox/dead", params={"limit": 200}, headers=auditor))
            return [item for item in listed["items"] if item["ordering_key"] == key]

        (event,) = wait_for(dead, 30, "budget's 404 did not make the event dead")
        assert event["dead_reason"].startswith("HTTP 404") and "grant-not-found" in event["dead_reason"]
        assert event["attempts"] == 1, "a permanent refusal is not retried by itself"
        metrics = httpx.get(f"http://127.0.0.1:{city.ports['evaluation']}/metrics").text
        assert 'outbox_dead_events{schema="evaluation"} 1.0' in metrics

        # A later event of the same target waits behind the dead one.
        later = city.sql(
            "evaluation",
            "INSERT INTO evaluation.outbox_events (id, destination, path, ordering_key, event_type, payload)"
            " VALUES (gen_random_uuid(), 'budget', '/internal/evaluation-results', $1,"
            " 'evaluation.result_confirmed', $2::jsonb) RETURNING id",
            key,
            f'{{"target_id": {target_id}, "category": "보통"}}',
        )[0]["id"]
        time.sleep(1)  # several relay passes
        (row,) = city.sql(
            "evaluation", "SELECT attempts, status FROM evaluation.outbox_events WHERE id = $1", later
        )
        assert (row["attempts"], row["status"]) == (0, "pending")

        retry = f"/evaluation/outbox/dead/{event['id']}/retry"
        assert client.post(retry, headers=auditor).status_code == 403
        assert ok(client.post(retry, headers=officer))["status"] == "pending"
        # Still no such grant: refused again, dead after one more attempt; the later event still waits.
        wait_for(
            lambda: [e for e in dead() if e["attempts"] == 2], 30, "the retried event was not sent again"
        )
        (row,) = city.sql("evaluation", "SELECT attempts FROM evaluation.outbox_events WHERE id = $1", later)
        assert row["attempts"] == 0
