"""Evaluation → budget through the outbox, with faults injected: real processes, a database of their own.

Events are written with evaluation's `enqueue_result_confirmed` in a committed transaction (the confirmation
endpoint belongs to the results work); the real evaluation process's relay delivers them to the real budget
process, which stores each in its inbox and applies it once. Faults: budget down and back, the relay's
process SIGKILLed mid-send and restarted, a callee that hangs past the relay's timeout, the same event sent
twice (and concurrently). Every test checks that no event is lost, none is applied twice and each target's
events are applied in the order they were written.
"""

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from ops.processes import stop_processes
from services.budget.settings import BudgetSettings
from services.evaluation.outbox.service import enqueue_result_confirmed
from shared.auth import Role, mint_token
from shared.service_auth import mint_service_token
from shared.settings import CommonSettings, async_url, plain_url
from tests.conftest import Database, own_database
from tests.e2e.conftest import free_port, serve, start, wait_answering

pytestmark = pytest.mark.e2e

RELAY_ENV = {
    "EVALUATION_RELAY_ENABLED": "true",
    "EVALUATION_RELAY_POLL_SECONDS": "0.05",
    "EVALUATION_RELAY_BACKOFF_BASE": "0.1",
    "EVALUATION_RELAY_BACKOFF_MAX": "0.5",
    "EVALUATION_RELAY_TIMEOUT": "1",
}


@dataclass
class Talk:
    """Budget and evaluation as processes on a database of their own (no other relay sends its rows)."""

    urls: dict[str, str]
    env: dict[str, str]
    log_dir: Path
    budget_port: int

    def start_budget(self) -> subprocess.Popen[bytes]:
        process = start("budget", self.budget_port, self.env, self.log_dir)
        wait_answering(f"http://127.0.0.1:{self.budget_port}/livez", process)
        return process

    def start_evaluation(self, budget_url: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        env = {**self.env, "EVALUATION_BUDGET_URL": budget_url or f"http://127.0.0.1:{self.budget_port}"}
        process = start("evaluation", port, env, self.log_dir)
        wait_answering(f"http://127.0.0.1:{port}/livez", process)
        return process, f"http://127.0.0.1:{port}"

    def start_delay_proxy(self, seconds: float, first: int) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        env = {
            **self.env,
            "DELAY_UPSTREAM": f"http://127.0.0.1:{self.budget_port}",
            "DELAY_SECONDS": str(seconds),
            "DELAY_FIRST": str(first),
        }
        process = serve(["tests.e2e.delay_proxy:app", "--port", str(port)], env, self.log_dir / "proxy.log")
        wait_answering(f"http://127.0.0.1:{port}/livez", process)
        return process, f"http://127.0.0.1:{port}"

    async def enqueue(self, target_id: int, count: int) -> list[uuid.UUID]:
        """`count` confirmed results of one target, each committed in its own transaction, in order."""
        engine = create_async_engine(async_url(self.urls["evaluation"]), pool_size=1)
        try:
            ids = []
            for n in range(count):
                async with engine.begin() as conn:
                    payload = {"category": "우수", "sequence": n}
                    ids.append(await enqueue_result_confirmed(conn, target_id, payload))
            return ids
        finally:
            await engine.dispose()

    async def fetch(self, service: str, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(plain_url(self.urls[service]))
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def applied(self, ids: list[uuid.UUID]) -> list[uuid.UUID]:
        """The events among `ids` budget applied, in the order it applied them (duplicates kept)."""
        rows = await self.fetch(
            "budget",
            "SELECT event_id FROM budget.delivered_results WHERE event_id = ANY($1) ORDER BY id",
            ids,
        )
        return [row["event_id"] for row in rows]

    async def outbox(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
        rows = await self.fetch(
            "evaluation",
            "SELECT id, attempts, last_error, delivered_at FROM evaluation.outbox_events WHERE id = ANY($1)",
            ids,
        )
        return {row["id"]: row for row in rows}

    async def wait_delivered(self, ids: list[uuid.UUID], seconds: float = 30) -> None:
        await until(lambda: self._all_delivered(ids), seconds, f"events not delivered: {ids}")

    async def _all_delivered(self, ids: list[uuid.UUID]) -> bool:
        rows = await self.outbox(ids)
        return len(rows) == len(ids) and all(row["delivered_at"] is not None for row in rows.values())


async def until(check: Callable[[], Awaitable[bool]], seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
def talk(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Talk]:
    urls = own_database(database, "seoul_talk").service_urls
    env = {**os.environ, **RELAY_ENV}
    env["BUDGET_DATABASE_URL"], env["EVALUATION_DATABASE_URL"] = urls["budget"], urls["evaluation"]
    yield Talk(urls, env, tmp_path_factory.mktemp("talk-logs"), free_port())


@pytest.fixture
async def budget_up(talk: Talk) -> AsyncIterator[subprocess.Popen[bytes]]:
    process = talk.start_budget()
    yield process
    stop_processes(process)


def target() -> int:
    """A target id no other test uses (budget does not check it: evaluation owns targets)."""
    return uuid.uuid4().int % 2_000_000_000 + 1


async def test_budget_down_for_a_while_then_back_loses_nothing_and_keeps_each_targets_order(
    talk: Talk,
) -> None:
    evaluation, evaluation_url = talk.start_evaluation()  # budget is not running
    budget = None
    try:
        first, second = target(), target()
        ids_first = await talk.enqueue(first, 3)
        ids_second = await talk.enqueue(second, 3)
        heads = [ids_first[0], ids_second[0]]

        async def heads_failed_twice() -> bool:
            rows = await talk.outbox(heads)
            return all(row["attempts"] >= 2 for row in rows.values())

        await until(heads_failed_twice, 20, "the relay did not retry while budget was down")
        rows = await talk.outbox(ids_first + ids_second)
        assert all(rows[i]["attempts"] == 0 for i in ids_first[1:] + ids_second[1:]), "later events waited"
        assert all("budget" in rows[i]["last_error"] for i in heads)
        assert await talk.applied(ids_first + ids_second) == []

        officer = mint_token(CommonSettings(), subject="city-officer", role=Role.city_officer)
        async with httpx.AsyncClient(base_url=evaluation_url) as client:
            stuck = await client.get(
                "/evaluation/outbox/stuck",
                params={"limit": 200},
                headers={"Authorization": f"Bearer {officer}"},
            )
            metrics = (await client.get("/metrics")).text
        assert stuck.status_code == 200, stuck.text
        listed = {item["id"]: item for item in stuck.json()["items"]}
        assert {str(i) for i in heads} <= set(listed)
        assert listed[str(heads[0])]["attempts"] >= 2 and listed[str(heads[0])]["last_error"]
        assert str(ids_first[1]) not in listed  # never tried: waiting behind its key's head, not stuck

        backlog = _gauge(metrics, "outbox_backlog_events")
        assert backlog >= 6 and _gauge(metrics, "outbox_oldest_event_age_seconds") > 0

        budget = talk.start_budget()
        await talk.wait_delivered(ids_first + ids_second)
        assert await talk.applied(ids_first) == ids_first  # each once, in the order written
        assert await talk.applied(ids_second) == ids_second

        async def backlog_cleared() -> bool:
            async with httpx.AsyncClient(base_url=evaluation_url) as client:
                return _gauge((await client.get("/metrics")).text, "outbox_backlog_events") == 0

        await until(backlog_cleared, 10, "the backlog gauge did not go back to 0")
    finally:
        stop_processes(evaluation, *([budget] if budget else []))


async def test_relay_killed_mid_send_and_restarted_applies_each_event_once(
    talk: Talk, budget_up: subprocess.Popen[bytes]
) -> None:
    # Budget applies each event at once, but its answer is held 30 s: the relay is mid-send when killed.
    proxy, proxy_url = talk.start_delay_proxy(seconds=30, first=1_000_000)
    evaluation, _ = talk.start_evaluation(budget_url=proxy_url)
    restarted = None
    try:
        key = target()
        ids = await talk.enqueue(key, 2)

        async def head_applied() -> bool:
            return await talk.applied(ids[:1]) == ids[:1]

        await until(head_applied, 20, "budget never received the first event")
        evaluation.send_signal(signal.SIGKILL)
        evaluation.wait(timeout=10)
        rows = await talk.outbox(ids)
        assert all(row["delivered_at"] is None for row in rows.values()), "acknowledged without an answer"

        restarted, _ = talk.start_evaluation()  # straight to budget this time
        await talk.wait_delivered(ids)
        assert await talk.applied(ids) == ids  # the first once although sent twice; the second after it
    finally:
        proxy.kill()  # it still holds the killed relay's answer
        stop_processes(evaluation, proxy, *([restarted] if restarted else []))


async def test_a_callee_hanging_past_the_timeout_is_retried_and_applied_once(
    talk: Talk, budget_up: subprocess.Popen[bytes]
) -> None:
    # The first answer comes 3 s late, after the relay's 1 s timeout; budget applied it meanwhile.
    proxy, proxy_url = talk.start_delay_proxy(seconds=3, first=1)
    evaluation, _ = talk.start_evaluation(budget_url=proxy_url)
    try:
        ids = await talk.enqueue(target(), 1)
        started = time.monotonic()
        await talk.wait_delivered(ids)
        row = (await talk.outbox(ids))[ids[0]]
        assert row["attempts"] >= 2
        assert "ReadTimeout" in row["last_error"]
        assert time.monotonic() - started < 3, "the relay waited for the hung answer instead of timing out"
        assert await talk.applied(ids) == ids
    finally:
        stop_processes(evaluation, proxy)


async def test_the_same_event_delivered_twice_or_concurrently_is_applied_once(
    talk: Talk, budget_up: subprocess.Popen[bytes]
) -> None:
    settings = BudgetSettings()
    token = mint_service_token(settings, caller="evaluation", callee="budget")
    event_id = uuid.uuid4()
    body = {
        "event_id": str(event_id),
        "event_type": "evaluation.result_confirmed",
        "ordering_key": "target:7",
        "payload": {"target_id": 7, "category": "보통"},
        "created_at": "2026-12-02T10:00:00+09:00",
    }
    url = f"http://127.0.0.1:{talk.budget_port}/internal/evaluation-results"
    async with httpx.AsyncClient(timeout=10) as client:

        async def deliver(key: str | None) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
            return await client.post(url, json=body, headers=headers)

        answers = await asyncio.gather(*(deliver(str(event_id) if n % 2 else None) for n in range(6)))
        answers.append(await deliver(str(event_id)))
    assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers]
    assert sorted(answer.json()["duplicate"] for answer in answers) == [False] + [True] * 6
    assert await talk.applied([event_id]) == [event_id]


def _gauge(metrics: str, name: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")
