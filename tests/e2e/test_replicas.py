"""Two processes of each service on one database, behind one gateway that lists both: the same answers as
one process, nothing done twice, and the system still answering when a replica is killed.

The services' own calls to each other (budget → councils, evaluation → budget and councils) go to replica
"a" of the callee, as they would go to one Kubernetes Service URL; the gateway spreads its requests over
both replicas (gateway/replicas.py). Requests sent straight to a named replica show that what one process
wrote, another reads.
"""

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bench.synthetic_pb import write_synthetic_pb
from ops.processes import stop_processes
from ops.readiness import wait_until_ready
from services.evaluation.outbox.service import enqueue_result_confirmed
from shared.settings import async_url, plain_url
from tests.conftest import Database, own_database
from tests.e2e.conftest import free_port, start

pytestmark = pytest.mark.e2e

SERVICES = ("councils", "budget", "evaluation")
REPLICAS = ("a", "b")
PROJECTS = [
    {"project_id": "P1", "name": "마을 도서관", "cost_krw": 600_000},
    {"project_id": "P2", "name": "공원 벤치", "cost_krw": 500_000},
    {"project_id": "P3", "name": "놀이터", "cost_krw": 300_000},
]
VOTES = {"v1": ["P1"], "v2": ["P1", "P3"], "v3": ["P2", "P3"], "v4": ["P3"], "v5": ["P1", "P2"]}


@dataclass
class Replicated:
    urls: dict[str, str]
    database: Database
    processes: dict[str, subprocess.Popen[bytes]]
    log_dir: Path

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]


@pytest.fixture(scope="module")
def replicated(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicated]:
    db = own_database(database, "seoul_replicas")
    log_dir: Path = tmp_path_factory.mktemp("replica-logs")
    ports = {f"{s}-{r}": free_port() for s in SERVICES for r in REPLICAS} | {"gateway": free_port()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = dict(os.environ)
    for service, url in db.service_urls.items():
        env[f"{service.upper()}_DATABASE_URL"] = url
        env[f"GATEWAY_{service.upper()}_URL"] = ",".join(urls[f"{service}-{r}"] for r in REPLICAS)
    env["COUNCILS_URL"] = urls["councils-a"]
    env["EVALUATION_BUDGET_URL"] = urls["budget-a"]
    env["EVALUATION_COUNCILS_URL"] = urls["councils-a"]
    # Both evaluation replicas relay the outbox, fast; both budget replicas run the council re-check loop.
    env |= {"EVALUATION_RELAY_ENABLED": "true", "EVALUATION_RELAY_POLL_SECONDS": "0.05"}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, port in ports.items():
            processes[name] = start(name.split("-")[0], port, env, log_dir)
        for name, process in processes.items():
            wait_until_ready(f"{urls[name]}/readyz", process, timeout=90)
        for name in processes:
            if name != "gateway":  # built once before the gateway's route tables ask (see conftest.system)
                httpx.get(f"{urls[name]}/openapi.json", timeout=60)
        yield Replicated(urls, db, processes, log_dir)
    finally:
        stop_processes(*processes.values())


def _body() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "name_ko": "관악구 주민투표 (복제본)",
        "budget_krw": 1_000_000,
        "projects": PROJECTS,
        "opens_at": (now - timedelta(minutes=5)).isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
        "ballot": {"type": "approval", "max_length": 2},
    }


def _election(
    client: httpx.Client, city: dict[str, str], key: str | None = None, body: dict[str, Any] | None = None
) -> httpx.Response:
    body = body or _body()
    headers = city | ({"Idempotency-Key": key} if key else {})
    return client.post("/budget/elections", json=body, headers=headers)


def _vote_and_publish(
    clients: list[httpx.Client], auth: Callable[..., dict[str, str]], tag: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One election's life, each request on the next of `clients`: the published outcome and one ballot."""
    city = auth("city_officer")
    turn = iter(clients * 20)
    created = _election(next(turn), city)
    assert created.status_code == 201, created.text
    url = f"/budget/elections/{created.json()['id']}"
    for voter, choice in VOTES.items():
        cast = next(turn).put(
            f"{url}/ballot", json={"project_ids": choice}, headers=auth("citizen", subject=tag + voter)
        )
        assert cast.status_code == 200, cast.text
    # A replaced ballot, replaced through another process than the one that stored it.
    again = next(turn).put(
        f"{url}/ballot", json={"project_ids": ["P2"]}, headers=auth("citizen", subject=tag + "v1")
    )
    assert again.status_code == 200 and again.json()["revision"] == 2, again.text
    mine = next(turn).get(f"{url}/ballot", headers=auth("citizen", subject=tag + "v1"))
    assert mine.status_code == 200 and mine.json()["project_ids"] == ["P2"], mine.text
    assert next(turn).post(f"{url}/close", headers=city).status_code == 200
    late = next(turn).put(
        f"{url}/ballot", json={"project_ids": ["P1"]}, headers=auth("citizen", subject=tag + "v9")
    )
    assert late.status_code == 409, late.text  # closed on one process, refused by the other
    published = next(turn).post(f"{url}/publish", headers=city)
    assert published.status_code == 200, published.text
    outcome = next(turn).get(f"{url}/outcome")
    assert outcome.status_code == 200, outcome.text
    return outcome.json(), mine.json()


def _comparable(outcome: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in outcome.items() if k not in ("election_id", "id", "computed_at", "record_id")}


def test_the_same_requests_give_the_same_results_as_one_replica(
    replicated: Replicated, auth: Callable[..., dict[str, str]]
) -> None:
    urls = replicated.urls
    with (
        httpx.Client(base_url=urls["budget-a"], timeout=30) as one,
        httpx.Client(base_url=urls["budget-b"], timeout=30) as other,
        httpx.Client(base_url=replicated.gateway, timeout=30) as gateway,
    ):
        alone, _ = _vote_and_publish([one], auth, "alone-")
        alternating, _ = _vote_and_publish([one, other], auth, "alt-")
        through_gateway, _ = _vote_and_publish([gateway], auth, "gw-")
    assert _comparable(alternating) == _comparable(alone)
    assert _comparable(through_gateway) == _comparable(alone)


def test_a_published_outcome_reads_the_same_from_both_replicas(
    replicated: Replicated, auth: Callable[..., dict[str, str]]
) -> None:
    urls = replicated.urls
    with (
        httpx.Client(base_url=urls["budget-a"], timeout=30) as a,
        httpx.Client(base_url=urls["budget-b"], timeout=30) as b,
    ):
        outcome, _ = _vote_and_publish([a], auth, "pub-")
        url = f"/budget/elections/{outcome['election_id']}/outcome"
        read_a, read_b = a.get(url), b.get(url)
    assert read_a.status_code == read_b.status_code == 200
    assert read_a.json() == read_b.json() == outcome
    assert read_a.headers["etag"] == read_b.headers["etag"]
    with httpx.Client(base_url=urls["budget-b"], timeout=30) as b:
        assert b.get(url, headers={"If-None-Match": read_a.headers["etag"]}).status_code == 304


def test_an_outcome_asked_of_both_replicas_at_once_is_computed_once(
    replicated: Replicated, auth: Callable[..., dict[str, str]]
) -> None:
    city = auth("city_officer")
    with httpx.Client(base_url=replicated.urls["budget-a"], timeout=30) as a:
        created = _election(a, city)
        assert created.status_code == 201, created.text
        eid = created.json()["id"]
        for voter, choice in VOTES.items():
            headers = auth("citizen", subject=f"once-{voter}")
            cast = a.put(f"/budget/elections/{eid}/ballot", json={"project_ids": choice}, headers=headers)
            assert cast.status_code == 200, cast.text
    url = f"/budget/elections/{eid}/outcome?rule=mes-add1"

    async def ask_both() -> list[httpx.Response]:
        async with (
            httpx.AsyncClient(base_url=replicated.urls["budget-a"], timeout=30) as a,
            httpx.AsyncClient(base_url=replicated.urls["budget-b"], timeout=30) as b,
        ):
            return await asyncio.gather(*(client.get(url, headers=city) for client in (a, b) * 8))

    answers = asyncio.run(ask_both())
    # Within the wait (10 s): each is answered with the outcome, whichever replica computed it.
    assert {r.status_code for r in answers} == {200}, [r.text for r in answers if r.status_code != 200]
    assert len({r.json()["id"] for r in answers}) == 1
    assert len(_computed(replicated.log_dir, eid)) == 1
    claims = asyncio.run(
        _fetch(
            replicated.database.service_urls["budget"],
            "SELECT key FROM budget.outcome_computations WHERE election_id = $1",
            eid,
        )
    )
    assert claims == []  # the computing replica deleted its claim with the outcome it stored


def _computed(log_dir: Path, election_id: int) -> list[str]:
    """The "outcome computed" log lines of an election's outcomes (every budget process logs to one file)."""
    return [
        line
        for line in (log_dir / "budget.log").read_text(encoding="utf-8").splitlines()
        if '"outcome computed"' in line and f'"election_id": {election_id},' in line
    ]


def test_a_computation_whose_replica_is_killed_is_taken_over_when_its_lease_expires(
    replicated: Replicated, auth: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    """Replica x claims a long computation and is killed (-9); y answers 202 while x's lease is live, then
    takes the claim over and computes the outcome once.

    Two budget processes of their own on the same database: a short wait and lease, and x without the MES
    kernel (exact arithmetic: MES+Add1 on 2,000 voters takes ~20 s there, under a second on y's kernel)."""
    city = auth("city_officer")
    budget_url = replicated.database.service_urls["budget"]
    env = dict(os.environ) | {
        "BUDGET_DATABASE_URL": budget_url,
        "COUNCILS_URL": replicated.urls["councils-a"],
        "BUDGET_COUNCIL_RECHECK_ENABLED": "false",
        "BUDGET_OUTCOME_WAIT_SECONDS": "0.5",
        "BUDGET_OUTCOME_LEASE_SECONDS": "3",
        "BUDGET_OUTCOME_RENEW_SECONDS": "1",
    }
    ports = {"x": free_port(), "y": free_port()}
    processes = {
        "x": start(
            "budget", ports["x"], env | {"BUDGET_MES_KERNEL_PATH": str(tmp_path / "no-kernel.so")}, tmp_path
        ),
    }
    processes["y"] = start("budget", ports["y"], env, tmp_path)
    try:
        for name, process in processes.items():
            wait_until_ready(f"http://127.0.0.1:{ports[name]}/readyz", process, timeout=90)
        x = httpx.Client(base_url=f"http://127.0.0.1:{ports['x']}", timeout=30)
        y = httpx.Client(base_url=f"http://127.0.0.1:{ports['y']}", timeout=30)
        with x, y:
            pb = write_synthetic_pb(tmp_path / "city.pb", n_voters=2000, n_projects=40, seed=3)
            with pb.open("rb") as file:
                imported = x.post("/budget/elections/import", files={"file": file}, headers=city)
            assert imported.status_code == 201, imported.text
            eid = imported.json()["id"]
            url = f"/budget/elections/{eid}/outcome?rule=mes-add1"

            asked = x.get(url, headers=city)
            assert asked.status_code == 202, asked.text
            claim = (
                "SELECT owner, lease_until > now() AS live FROM budget.outcome_computations"
                " WHERE election_id = $1"
            )
            (held,) = asyncio.run(_fetch(budget_url, claim, eid))
            assert held["live"] and f":{processes['x'].pid}:" in held["owner"]
            processes["x"].kill()
            processes["x"].wait()

            waiting = y.get(url, headers=city)  # x's lease (3 s, renewed each second) is still live
            assert waiting.status_code == 202, waiting.text
            assert waiting.headers["location"] == url
            assert waiting.json()["started_at"] == asked.json()["started_at"]  # x's computation's claim

            deadline = time.monotonic() + 60
            answer = waiting
            while answer.status_code == 202 and time.monotonic() < deadline:
                time.sleep(0.5)
                answer = y.get(url, headers=city)
            assert answer.status_code == 200, answer.text
            assert answer.json()["election_id"] == eid and answer.json()["rule"] == "mes-add1"
        assert asyncio.run(_fetch(budget_url, claim, eid)) == []
        (computed,) = _computed(tmp_path, eid)  # once: by y (x was killed before it stored anything)
        assert '"n_ballots": 2000' in computed
    finally:
        stop_processes(*processes.values())


def test_an_idempotent_post_replayed_on_the_other_replica_creates_nothing_new(
    replicated: Replicated, auth: Callable[..., dict[str, str]]
) -> None:
    city = auth("city_officer")
    key = str(uuid.uuid4())
    urls = replicated.urls
    with (
        httpx.Client(base_url=urls["budget-a"], timeout=30) as a,
        httpx.Client(base_url=urls["budget-b"], timeout=30) as b,
    ):
        body = _body()  # a replay sends the same body
        first = _election(a, city, key, body)
        replay = _election(b, city, key, body)
        assert first.status_code == replay.status_code == 201, (first.text, replay.text)
        assert replay.json() == first.json()
        named = b.get(f"/budget/elections/{first.json()['id']}", headers=city)
        assert named.status_code == 200 and named.json()["id"] == first.json()["id"]
    count = asyncio.run(
        _fetch(
            replicated.database.service_urls["budget"],
            "SELECT count(*) AS n FROM budget.idempotency_keys WHERE key = $1",
            key,
        )
    )
    assert count[0]["n"] == 1


async def _fetch(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def _enqueue(url: str, count: int) -> list[uuid.UUID]:
    engine = create_async_engine(async_url(url), pool_size=1)
    try:
        ids = []
        for n in range(count):
            async with engine.begin() as conn:
                target_id = uuid.uuid4().int % 2_000_000_000 + 1
                ids.append(
                    await enqueue_result_confirmed(conn, target_id, {"category": "우수", "sequence": n})
                )
        return ids
    finally:
        await engine.dispose()


def test_both_relays_deliver_each_event_to_budget_once(replicated: Replicated) -> None:
    urls = replicated.database.service_urls
    ids = asyncio.run(_enqueue(urls["evaluation"], 40))
    deadline = time.monotonic() + 60
    query = (
        "SELECT count(*) AS n FROM evaluation.outbox_events WHERE id = ANY($1) AND delivered_at IS NOT NULL"
    )
    while asyncio.run(_fetch(urls["evaluation"], query, ids))[0]["n"] < len(ids):
        assert time.monotonic() < deadline, "the relays did not deliver every event"
        time.sleep(0.1)
    applied = asyncio.run(
        _fetch(urls["budget"], "SELECT event_id FROM budget.delivered_results WHERE event_id = ANY($1)", ids)
    )
    assert sorted(row["event_id"] for row in applied) == sorted(ids)  # each once: none lost, none twice


def test_a_membership_page_cached_by_one_replica_shows_a_write_through_the_other_at_once(
    replicated: Replicated, auth: Callable[..., dict[str, str]]
) -> None:
    """Each councils process caches search pages (common/read_cache.py); the registry's data version, changed
    by every write, is read before each page is served, so no replica serves a page older than the last
    write through any replica."""
    city = auth("city_officer")
    urls = replicated.urls
    with (
        httpx.Client(base_url=urls["councils-a"], timeout=30, headers=city) as a,
        httpx.Client(base_url=urls["councils-b"], timeout=30, headers=city) as b,
    ):
        body = a.post("/councils/bodies", json={"classification": "tft", "name_ko": "복제본 TFT"})
        person = a.post("/councils/persons", json={"name_ko": "복제본 위원"})
        assert body.status_code == person.status_code == 201, (body.text, person.text)

        def page(client: httpx.Client) -> list[dict[str, Any]]:
            response = client.get("/councils/memberships", params={"organization_id": body.json()["id"]})
            assert response.status_code == 200, response.text
            items: list[dict[str, Any]] = response.json()["items"]
            return items

        for client in (a, b, a, b):  # each replica has the (empty) page cached
            assert page(client) == []
        seat = a.post(
            "/councils/memberships",
            json={
                "organization_id": body.json()["id"],
                "person_id": person.json()["id"],
                "role": "member",
                "sector": "civil",
                "start_date": "2017-03-01",
            },
        )
        assert seat.status_code == 201, seat.text
        assert page(b) == page(a) == [seat.json()]

        renamed = b.patch(f"/councils/persons/{person.json()['id']}", json={"name_ko": "개명한 위원"})
        assert renamed.status_code == 200, renamed.text
        assert page(a)[0]["person"]["name_ko"] == page(b)[0]["person"]["name_ko"] == "개명한 위원"

        assert b.delete(f"/councils/memberships/{seat.json()['id']}").status_code == 204
        assert page(a) == page(b) == []


def test_a_body_cached_by_one_replica_shows_a_write_through_the_other_at_once(
    replicated: Replicated, auth: Callable[..., dict[str, str]]
) -> None:
    """A body read is cached as the pages are (common/read_cache.py), its ETag with it."""
    city = auth("city_officer")
    urls = replicated.urls
    with (
        httpx.Client(base_url=urls["councils-a"], timeout=30, headers=city) as a,
        httpx.Client(base_url=urls["councils-b"], timeout=30, headers=city) as b,
    ):
        created = a.post("/councils/bodies", json={"classification": "tft", "name_ko": "복제본 협의체"})
        assert created.status_code == 201, created.text
        url = f"/councils/bodies/{created.json()['id']}"
        for client in (a, b, a, b):  # each replica has the body cached
            assert client.get(url).json()["name_ko"] == "복제본 협의체"
        changed = b.patch(url, json={"name_ko": "개명한 협의체"})
        assert changed.status_code == 200, changed.text
        for client in (a, b):
            read = client.get(url)
            assert read.json() == changed.json() and read.headers["etag"] == changed.headers["etag"]


def test_killing_one_replica_of_each_service_keeps_the_system_answering(
    replicated: Replicated, auth: Callable[..., dict[str, str]]
) -> None:
    """Last in this module: it kills replica "b" of every service (the services call each other's "a")."""
    city = auth("city_officer")
    with httpx.Client(base_url=replicated.gateway, timeout=30) as gateway:
        created = _election(gateway, city)
        assert created.status_code == 201, created.text
        url = f"/budget/elections/{created.json()['id']}"
        for service in SERVICES:
            replicated.processes[f"{service}-b"].kill()
            replicated.processes[f"{service}-b"].wait(timeout=10)
        # More requests than the breaker's threshold: each one that finds b gone is sent to a instead.
        for n in range(12):
            read = gateway.get(url, headers=city)
            assert read.status_code == 200, read.text
            cast = gateway.put(
                f"{url}/ballot", json={"project_ids": ["P3"]}, headers=auth("citizen", subject=f"k{n}")
            )
            assert cast.status_code == 200, cast.text
            assert gateway.get("/councils/districts").status_code == 200
            assert gateway.get("/evaluation/cycles").status_code in (200, 401, 403)
