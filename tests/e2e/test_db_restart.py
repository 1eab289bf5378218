"""PostgreSQL restarting under load: no 500, 503 + Retry-After while it is down, nothing acknowledged lost.

A cluster of its own (the suite's shared one is never restarted), real uvicorn processes of councils,
budget and the gateway, reads and writes (ballots among them) from concurrent clients while
`pg_ctl restart -m fast` runs, then while the cluster is stopped and started again.
"""

import asyncio
import hashlib
import hmac
import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest

from ops.devdb import EmbeddedPostgres, ensure_database
from ops.migrate import migrate_all
from ops.processes import stop_processes
from services.budget.settings import BudgetSettings
from shared.settings import plain_url
from tests.e2e.conftest import System, free_port, free_server_port, wait_ready
from tests.e2e.test_voting import open_election

pytestmark = pytest.mark.e2e

Auth = Callable[..., dict[str, str]]
WORKERS = 4
OUTAGE_ANSWERS = 12
"""Answers collected while the cluster is down, before it is started again."""


@dataclass
class Cluster:
    postgres: EmbeddedPostgres
    admin_url: str


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    # Not under pytest's tmp_path: its private parents would keep the unprivileged server user out (as root).
    data_dir = Path(tempfile.mkdtemp(prefix="seoul-pg-restart-"))
    postgres = EmbeddedPostgres(data_dir / "pg", free_server_port())
    try:
        postgres.start()
        admin_url = postgres.admin_url("seoul_restart")
        asyncio.run(ensure_database(admin_url, recreate=True))
        yield Cluster(postgres, admin_url)
    finally:
        postgres.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def restart_system(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    urls = migrate_all(cluster.admin_url)
    ports = {name: free_port() for name in ("councils", "budget", "gateway")}
    env = dict(os.environ)
    for service in ("councils", "budget"):
        env[f"{service.upper()}_DATABASE_URL"] = urls[service]
        env[f"GATEWAY_{service.upper()}_URL"] = f"http://127.0.0.1:{ports[service]}"
    env["GATEWAY_EVALUATION_URL"] = f"http://127.0.0.1:{free_port()}"  # not started: not used here
    system = System(ports, env, tmp_path_factory.mktemp("restart-logs"))
    try:
        for name in ports:
            system.start(name)
        wait_ready(system)
        for name in ("councils", "budget"):  # built once before the load (see tests/e2e/conftest.py `system`)
            httpx.get(f"{system.url(name)}/openapi.json", timeout=60)
        yield system
    finally:
        stop_processes(*system.processes.values())


@dataclass
class Answer:
    kind: str
    status: int
    content_type: str
    retry_after: str | None
    code: str | None
    phase: str
    """The phase the request was sent in and answered in, when both are the same; else 'between'."""


@dataclass
class Load:
    """Concurrent clients through the gateway: reads, new persons, new voters' ballots."""

    client: httpx.AsyncClient
    auth: Auth
    election_id: int
    phase: str = "up"
    answers: list[Answer] = field(default_factory=list)
    acknowledged_ballots: set[str] = field(default_factory=set)
    attempted_ballots: set[str] = field(default_factory=set)
    acknowledged_persons: set[int] = field(default_factory=set)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    _serial: Iterator[int] = field(default_factory=itertools.count)

    async def request(self, kind: str) -> None:
        n = next(self._serial)
        sent_in = self.phase
        city = self.auth("city_officer", subject="city-officer-1")
        if kind == "ballot":
            voter = f"restart-voter-{n}"
            self.attempted_ballots.add(voter)
            response = await self.client.put(
                f"/budget/elections/{self.election_id}/ballot",
                json={"project_ids": ["P3"]},
                headers=self.auth("citizen", subject=voter),
            )
            if response.status_code == 200:
                self.acknowledged_ballots.add(voter)
        elif kind == "person":
            keyed = {**city, "Idempotency-Key": f"restart-person-{n}"}  # the keyed path holds too
            body = {"name_ko": f"재시작{n}"}
            response = await self.client.post("/councils/persons", json=body, headers=keyed)
            if response.status_code == 201:
                self.acknowledged_persons.add(response.json()["id"])
        elif kind == "districts":
            response = await self.client.get("/councils/districts")
        else:
            response = await self.client.get("/budget/cycles", headers=city)
        content_type = response.headers.get("content-type", "")
        code = response.json().get("code") if content_type.startswith("application/problem+json") else None
        phase = sent_in if sent_in == self.phase else "between"
        self.answers.append(
            Answer(kind, response.status_code, content_type, response.headers.get("retry-after"), code, phase)
        )

    async def worker(self, kinds: tuple[str, ...]) -> None:
        for kind in itertools.cycle(kinds):
            if self.stop.is_set():
                return
            await self.request(kind)

    def count(self, phase: str, ok: bool | None = None) -> int:
        return sum(1 for a in self.answers if a.phase == phase and (ok is None or (a.status < 300) is ok))


async def _until(predicate: Callable[[], bool], bound: int = 600) -> None:
    """Wait for the load to produce what the predicate asks (bounded by polls, not by time)."""
    for _ in range(bound):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the load never produced the awaited answers")


async def _succeeds_within_a_few_tries(load: Load, kind: str, tries: int = 3) -> None:
    for _ in range(tries):
        before = len(load.answers)
        await load.request(kind)
        if load.answers[before].status < 300:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{kind} still fails after PostgreSQL is back: {load.answers[-tries:]}")


async def test_postgres_restarts_under_load_without_a_500_or_a_lost_write(
    cluster: Cluster, restart_system: System, auth: Auth
) -> None:
    city = auth("city_officer", subject="city-officer-1")
    with httpx.Client(base_url=restart_system.gateway, timeout=30) as gateway:
        election_id = open_election(gateway, city)
    kinds = [("ballot", "districts"), ("person", "cycles"), ("ballot", "cycles"), ("person", "districts")]
    async with httpx.AsyncClient(base_url=restart_system.gateway, timeout=30) as client:
        load = Load(client, auth, election_id)
        workers = [asyncio.create_task(load.worker(kinds[i % len(kinds)])) for i in range(WORKERS)]
        try:
            await _until(lambda: load.count("up", ok=True) >= 20)
            load.phase = "restarting"
            await asyncio.to_thread(cluster.postgres.restart)
            load.phase = "restarted"
            await _until(lambda: load.count("restarted", ok=True) >= 20)

            load.phase = "stopping"
            await asyncio.to_thread(cluster.postgres.stop)
            load.phase = "down"
            await _until(lambda: load.count("down") >= OUTAGE_ANSWERS)
            async with httpx.AsyncClient(timeout=10) as direct:
                for service in ("councils", "budget"):
                    ready = await direct.get(f"{restart_system.url(service)}/readyz")
                    assert ready.status_code == 503 and ready.headers.get("retry-after"), ready.text
                    assert ready.headers["content-type"].startswith("application/problem+json")
            load.phase = "starting"
            await asyncio.to_thread(cluster.postgres.start)
            load.phase = "started"
            await _until(lambda: load.count("started", ok=True) >= 20)
        finally:
            load.stop.set()
            await asyncio.gather(*workers, return_exceptions=True)
        for kind in ("ballot", "person", "districts", "cycles"):
            await _succeeds_within_a_few_tries(load, kind)

    failures = [a for a in load.answers if a.status >= 300]
    assert not [a for a in failures if a.status != 503], failures
    for answer in failures:
        assert answer.content_type.startswith("application/problem+json"), answer
        assert answer.code == "database-unavailable" and answer.retry_after, answer
    down = [a for a in load.answers if a.phase == "down"]
    assert down and all(a.status == 503 for a in down), down

    conn = await asyncpg.connect(plain_url(cluster.admin_url))
    try:
        ballots = {
            row[0]
            for row in await conn.fetch(
                "SELECT b.voter_hash FROM budget.ballots b WHERE b.election_id = $1", election_id
            )
        }
        persons = {
            row[0]
            for row in await conn.fetch(
                "SELECT id FROM councils.persons WHERE id = ANY($1::int[])", list(load.acknowledged_persons)
            )
        }
    finally:
        await conn.close()
    # Every acknowledged write is there; a write answered 503 may or may not have been committed.
    assert {_voter_hash(election_id, voter) for voter in load.acknowledged_ballots} <= ballots
    assert len(ballots) <= len(load.attempted_ballots)
    assert persons == load.acknowledged_persons


def _voter_hash(election_id: int, subject: str) -> bytes:
    secret = BudgetSettings().voter_hash_secret.get_secret_value().encode()
    return hmac.new(secret, f"{election_id}:{subject}".encode(), hashlib.sha256).digest()
