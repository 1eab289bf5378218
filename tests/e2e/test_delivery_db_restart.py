"""Evaluation → budget delivery while PostgreSQL restarts: real processes, a cluster of their own.

The suite's shared cluster is never restarted (other tests' processes use it): this module starts its own
embedded PostgreSQL (ops/devdb.EmbeddedPostgres) on its own port, migrates budget and evaluation into it,
and runs their real processes with the relay on. Budget's answers pass through a proxy that holds each one
back a little, so deliveries are in flight (budget has applied, the relay has not yet recorded the answer)
when the cluster is restarted with `pg_ctl restart -m fast`, which cuts every session of both services.
Afterwards every event is applied exactly once, each target's in the order written, and both processes,
never restarted, answer again.
"""

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ops.devdb import EmbeddedPostgres, ensure_database
from ops.migrate import migrate_all
from ops.processes import stop_processes
from shared.auth import Role, mint_token
from shared.settings import CommonSettings
from tests.e2e.conftest import free_port, free_server_port
from tests.e2e.test_outbox_delivery import RELAY_ENV, Talk, target, until

pytestmark = pytest.mark.e2e

TARGETS = 3
EVENTS_BEFORE = 8
"""Each target's events written before the restart; as many again after it."""


@pytest.fixture(scope="module")
def postgres() -> Iterator[tuple[EmbeddedPostgres, dict[str, str]]]:
    # Not under pytest's tmp_path: its private parents would keep the unprivileged server user out (as root).
    data_dir = Path(tempfile.mkdtemp(prefix="seoul-pg-delivery-"))
    cluster = EmbeddedPostgres(data_dir / "pg", free_server_port())
    try:
        cluster.start()
        admin_url = cluster.admin_url("seoul_delivery_restart")
        asyncio.run(ensure_database(admin_url, recreate=True))
        yield cluster, migrate_all(admin_url, ("budget", "evaluation"))
    finally:
        cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def restart_talk(
    postgres: tuple[EmbeddedPostgres, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Talk:
    _, urls = postgres
    env = {**os.environ, **RELAY_ENV, "BUDGET_COUNCIL_RECHECK_ENABLED": "false"}
    env["BUDGET_DATABASE_URL"], env["EVALUATION_DATABASE_URL"] = urls["budget"], urls["evaluation"]
    return Talk(urls, env, tmp_path_factory.mktemp("delivery-restart-logs"), free_port())


async def test_postgres_restarted_mid_delivery_applies_every_event_once_in_order(
    postgres: tuple[EmbeddedPostgres, dict[str, str]], restart_talk: Talk
) -> None:
    cluster, _ = postgres
    talk = restart_talk
    budget = talk.start_budget()
    proxy, proxy_url = talk.start_delay_proxy(seconds=0.3, first=1_000_000)
    evaluation, evaluation_url = talk.start_evaluation(budget_url=proxy_url)
    processes: list[subprocess.Popen[bytes]] = [evaluation, proxy, budget]
    try:
        keys = [target() for _ in range(TARGETS)]
        ids = {key: await talk.enqueue(key, EVENTS_BEFORE) for key in keys}
        everything = [event for key in keys for event in ids[key]]

        async def some_applied() -> bool:
            return len(await talk.applied(everything)) >= TARGETS

        await until(some_applied, 30, "budget never received the first events")
        assert len(await talk.applied(everything)) < len(everything), "all delivered before the restart"
        started_at = "SELECT pg_postmaster_start_time() AS at"
        before = (await talk.fetch("budget", started_at))[0]["at"]
        await asyncio.to_thread(cluster.restart)
        assert (await talk.fetch("budget", started_at))[0]["at"] > before, "PostgreSQL was not restarted"

        for key in keys:  # written after the restart: each after its target's earlier ones
            ids[key] += await talk.enqueue(key, EVENTS_BEFORE)
        everything = [event for key in keys for event in ids[key]]
        await talk.wait_delivered(everything, seconds=120)

        for key in keys:
            assert await talk.applied(ids[key]) == ids[key]  # each once, in the order written
        inbox = await talk.fetch(
            "budget", "SELECT count(*) AS n FROM budget.inbox_events WHERE event_id = ANY($1)", everything
        )
        assert inbox[0]["n"] == len(everything)

        assert all(process.poll() is None for process in (budget, evaluation)), "a service was restarted"
        officer = mint_token(CommonSettings(), subject="city-officer", role=Role.city_officer)
        headers = {"Authorization": f"Bearer {officer}"}
        async with httpx.AsyncClient(timeout=30) as client:
            for url in (evaluation_url, f"http://127.0.0.1:{talk.budget_port}"):
                ready = await client.get(f"{url}/readyz")
                assert ready.status_code == 200, ready.text
            stuck = await client.get(f"{evaluation_url}/evaluation/outbox/stuck", headers=headers)
            assert stuck.status_code == 200 and stuck.json()["items"] == [], stuck.text
            cycles = await client.get(f"http://127.0.0.1:{talk.budget_port}/budget/cycles", headers=headers)
            assert cycles.status_code == 200, cycles.text
    finally:
        stop_processes(*processes)
