"""One computation of one outcome, apart from the requests: concurrent requests for it, on separate
connections that commit (as two replicas would), compute it once; a request past the wait is answered 202
and reads the outcome later; the claim row that keeps it to one computation across replicas, at its lease's
edges."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from services.budget.elections import outcomes, repository
from services.budget.elections.computations import outcome_computations
from shared.settings import async_url, plain_url
from tests.budget.conftest import Auth, Budget, create_election
from tests.conftest import Database, assert_problem

SLOW = 2.0  # seconds a computation takes here: long enough for the others to arrive while it runs, on a
# machine busy with other suites too (1.0 left an old form of these tests flaky under load)


@dataclass
class Runs:
    """The engine's runs: each rule computed, with when it started and ended (time.monotonic)."""

    rules: list[str] = field(default_factory=list)
    spans: list[tuple[float, float]] = field(default_factory=list)


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    """Every run of the engine recorded and made to take SLOW seconds (in its worker thread)."""
    seen = Runs()
    decide = outcomes.decide

    def slow_decide(*args: Any, rule: str, **kwargs: Any) -> Any:
        seen.rules.append(rule)
        started = time.monotonic()
        time.sleep(SLOW)
        try:
            return decide(*args, rule=rule, **kwargs)
        finally:
            seen.spans.append((started, time.monotonic()))

    monkeypatch.setattr(outcomes, "decide", slow_decide)
    return seen


@pytest.fixture
def wait(committing: Budget) -> Iterator[Callable[[float], None]]:
    """wait(seconds): how long the committing app's requests wait for a computation before answering 202
    (its settings are read when used: BUDGET_OUTCOME_WAIT_SECONDS in a process)."""
    state = committing.app.state
    settings = state.settings

    def set_wait(seconds: float) -> None:
        state.settings = settings.model_copy(update={"outcome_wait_seconds": seconds})

    yield set_wait
    state.settings = settings


async def voted_election(api: Budget, auth: Auth, votes: int = 5) -> int:
    eid = int((await create_election(api, ballot={"type": "approval", "max_length": 2}))["id"])
    ballots = [["A"], ["A", "B"], ["B", "C"], ["C", "D"], ["C"]]
    for i, ballot in enumerate(ballots[:votes]):
        url = f"/budget/elections/{eid}/ballot"
        await api.ok("PUT", url, auth("citizen", subject=f"once-{eid}-{i}"), json={"project_ids": ballot})
    return eid


def later(seconds: float, call: Callable[[], Any]) -> Any:
    async def run() -> Any:
        await asyncio.sleep(seconds)
        return await call()

    return run()


async def eventually(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time"
        await asyncio.sleep(0.05)


async def claims_of(database: Database, election_id: int) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(plain_url(database.service_urls["budget"]))
    try:
        return list(
            await conn.fetch(
                "SELECT key, owner, started_at, lease_until FROM budget.outcome_computations"
                " WHERE election_id = $1",
                election_id,
            )
        )
    finally:
        await conn.close()


async def test_concurrent_requests_for_one_outcome_compute_it_once(
    committing: Budget, auth: Auth, runs: Runs, committed_database: Database
) -> None:
    api = committing
    eid = await voted_election(api, auth)
    url = f"/budget/elections/{eid}/outcome?rule=greedy"
    first, *others = await asyncio.gather(
        api.client.get(url, headers=api.city),
        *(later(0.2, lambda: api.client.get(url, headers=api.city)) for _ in range(3)),
    )
    assert runs.rules == ["greedy"]
    for response in (first, *others):
        assert response.status_code == 200, response.text
        assert response.json()["id"] == first.json()["id"]
        assert response.json()["selected"] == first.json()["selected"]
    assert await claims_of(committed_database, eid) == []  # success deletes the claim


async def test_a_request_past_the_wait_is_answered_202_and_then_reads_the_outcome(
    committing: Budget, auth: Auth, runs: Runs, wait: Callable[[float], None], committed_database: Database
) -> None:
    api = committing
    eid = await voted_election(api, auth)
    wait(0.2)
    url = f"/budget/elections/{eid}/outcome?rule=greedy&tie_break=cost_asc"
    first, second = await asyncio.gather(
        api.client.get(url, headers=api.city), later(0.3, lambda: api.client.get(url, headers=api.city))
    )
    for response in (first, second):
        assert response.status_code == 202, response.text
        assert response.headers["retry-after"] == "5"
        assert response.headers["location"] == url
        body = response.json()
        assert body["status"] == "computing"
        assert body["election_id"] == eid
        assert body["rule"] == "greedy"
        assert body["retry_after"] == 5
        assert body["started_at"].endswith("+09:00")
    assert first.json()["started_at"] == second.json()["started_at"]  # the same computation
    claims = await claims_of(committed_database, eid)
    assert len(claims) == 1  # claimed while it computes
    await asyncio.sleep(SLOW + 0.5)
    wait(10)
    stored = await api.ok("GET", url, api.city)
    assert stored["election_id"] == eid and stored["rule"] == "greedy"
    assert stored["tie_break"][0] == "cost_asc"
    assert runs.rules == ["greedy"]
    assert await claims_of(committed_database, eid) == []


async def test_while_ballots_change_one_computation_of_an_outcome_runs_at_a_time(
    committing: Budget, auth: Auth, runs: Runs, wait: Callable[[float], None]
) -> None:
    """Each ballot cast changes the digest, so the outcome's key: a caller polling a long computation of an
    open election does not start another one each time it asks."""
    api = committing
    eid = await voted_election(api, auth, votes=4)
    wait(0.2)
    url = f"/budget/elections/{eid}/outcome?rule=greedy"
    first = await api.client.get(url, headers=api.city)
    assert first.status_code == 202, first.text
    late = auth("citizen", subject=f"late-{eid}")
    await api.ok("PUT", f"/budget/elections/{eid}/ballot", late, json={"project_ids": ["C"]})
    second = await api.client.get(url, headers=api.city)  # another digest, while the first still computes
    assert second.status_code == 202, second.text
    assert second.json()["started_at"] == first.json()["started_at"]
    assert runs.rules == ["greedy"]
    await eventually(lambda: len(runs.spans) == 1)
    wait(10)
    latest = await api.ok("GET", url, api.city)  # the first is stored; this digest is computed now
    assert latest["n_ballots"] == 5
    assert runs.rules == ["greedy", "greedy"]


async def test_a_computation_holds_no_connection_while_the_engine_runs(
    committing: Budget, auth: Auth, runs: Runs, wait: Callable[[float], None], committed_database: Database
) -> None:
    api = committing
    eid = await voted_election(api, auth)
    wait(0)
    answer = await api.client.get(f"/budget/elections/{eid}/outcome?rule=mes-add1", headers=api.city)
    assert answer.status_code == 202, answer.text
    await asyncio.sleep(SLOW / 2)  # the engine is running (SLOW seconds in its worker thread)
    assert runs.rules == ["mes-add1"] and runs.spans == []
    assert api.app.state.engine.pool.checkedout() == 0
    conn = await asyncpg.connect(plain_url(committed_database.service_urls["budget"]))
    try:
        busy = await conn.fetch(
            "SELECT pid, state FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
        )
    finally:
        await conn.close()
    assert busy == []
    await asyncio.sleep(SLOW)
    wait(10)
    await api.ok("GET", f"/budget/elections/{eid}/outcome?rule=mes-add1", api.city)
    assert runs.rules == ["mes-add1"]


async def test_a_process_stopping_cancels_its_computations_and_releases_their_claims(
    committing: Budget, auth: Auth, runs: Runs, wait: Callable[[float], None], committed_database: Database
) -> None:
    api = committing
    eid = await voted_election(api, auth)
    wait(0)
    url = f"/budget/elections/{eid}/outcome?rule=mes-add1"
    assert (await api.client.get(url, headers=api.city)).status_code == 202
    await eventually(lambda: runs.rules == ["mes-add1"])  # the engine is running
    assert len(await claims_of(committed_database, eid)) == 1
    await outcome_computations(api.app.state).close()  # what the lifespan's shutdown does
    assert await claims_of(committed_database, eid) == []
    assert outcome_computations(api.app.state).jobs == {}
    await asyncio.sleep(SLOW)  # the engine's thread ends on its own; nothing is stored
    assert (await api.client.get(url, headers=api.city)).status_code == 202  # computed anew
    await eventually(lambda: runs.rules == ["mes-add1", "mes-add1"])
    await eventually(lambda: len(runs.spans) == 2)


async def test_different_outcomes_are_computed_side_by_side(
    committing: Budget, auth: Auth, runs: Runs
) -> None:
    api = committing
    eid = await voted_election(api, auth)
    base = f"/budget/elections/{eid}/outcome"
    answers = await asyncio.gather(
        api.client.get(f"{base}?rule=greedy", headers=api.city),
        later(0.2, lambda: api.client.get(f"{base}?rule=mes-add1", headers=api.city)),
    )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert sorted(runs.rules) == ["greedy", "mes-add1"]
    (_, first_end), (second_start, _) = sorted(runs.spans)
    assert second_start < first_end  # the second did not wait for the first


async def test_a_computation_that_fails_releases_its_claim_and_is_tried_again_when_asked(
    committing: Budget, auth: Auth, runs: Runs, committed_database: Database
) -> None:
    api = committing
    eid = await voted_election(api, auth, votes=0)  # MES needs at least one ballot
    url = f"/budget/elections/{eid}/outcome?rule=mes-add1"
    for attempt in (1, 2):
        problem = assert_problem(await api.client.get(url, headers=api.city), 422)
        assert problem["code"] == "outcome-failed"
        assert await claims_of(committed_database, eid) == []
        assert runs.rules == ["mes-add1"] * attempt


async def test_publishing_while_a_reader_computes_the_same_outcome_stores_one_record(
    committing: Budget, auth: Auth, runs: Runs
) -> None:
    """publish() holds the election's row lock and takes no claim: no deadlock, one record."""
    api = committing
    eid = await voted_election(api, auth)
    await api.ok("POST", f"/budget/elections/{eid}/close", api.city)
    read, published = await asyncio.gather(
        api.client.get(f"/budget/elections/{eid}/outcome", headers=api.city),
        later(0.2, lambda: api.client.post(f"/budget/elections/{eid}/publish", headers=api.city)),
    )
    assert read.status_code == 200, read.text
    assert published.status_code == 200, published.text
    public = await api.ok("GET", f"/budget/elections/{eid}/outcome", {})
    assert public["id"] == read.json()["id"]
    assert len(runs.rules) == 2  # the reader's and publish's own: publication never waits for a claim


# The claim at its lease's edges. now() is the transaction's start, the same for every statement of one
# transaction: a lease set relative to it is exactly at, just below or just above the claim's `now()`.


@pytest.fixture
async def claim_session(committed_database: Database) -> AsyncIterator[AsyncSession]:
    """A session on the committed database whose one transaction is rolled back at the end."""
    engine = create_async_engine(async_url(committed_database.service_urls["budget"]))
    try:
        async with async_sessionmaker(engine)() as session:
            yield session
            await session.rollback()
    finally:
        await engine.dispose()


async def _claimed_by_other(session: AsyncSession, election_id: int, lease_until: str) -> None:
    await session.execute(
        text(
            "INSERT INTO outcome_computations (key, election_id, owner, started_at, lease_until)"
            f" VALUES ('k', :election_id, 'other', now() - interval '1 minute', {lease_until})"
        ),
        {"election_id": election_id},
    )


async def _claim(session: AsyncSession, election_id: int, lease: float = 60) -> Any:
    return await repository.claim_outcome_computation(
        session, key="k", election_id=election_id, owner="me", lease_seconds=lease
    )


async def _owner(session: AsyncSession) -> tuple[str, Any]:
    row = (
        await session.execute(
            text("SELECT owner, lease_until - now() FROM outcome_computations WHERE key = 'k'")
        )
    ).one()
    return row[0], row[1]


@pytest.mark.parametrize(
    ("lease_until", "taken"),
    [
        ("now() + interval '1 microsecond'", False),  # just above now: live
        ("now()", False),  # at now: not expired yet (an expired lease is strictly before now)
        ("now() - interval '1 microsecond'", True),  # just below now: expired, taken over
    ],
)
async def test_a_claim_is_taken_over_only_once_its_lease_has_run_out(
    committing: Budget, auth: Auth, claim_session: AsyncSession, lease_until: str, taken: bool
) -> None:
    eid = await voted_election(committing, auth, votes=0)
    await _claimed_by_other(claim_session, eid, lease_until)
    started = await _claim(claim_session, eid)
    owner, left = await _owner(claim_session)
    assert (started is not None) == taken
    assert owner == ("me" if taken else "other")
    if taken:
        assert left.total_seconds() == 60  # a fresh lease from now


async def test_a_new_claim_is_taken_and_a_second_one_is_not(
    committing: Budget, auth: Auth, claim_session: AsyncSession
) -> None:
    eid = await voted_election(committing, auth, votes=0)
    assert await _claim(claim_session, eid) is not None
    assert await _claim(claim_session, eid) is None  # its own live claim too: one task a process holds it


async def test_the_heartbeat_extends_the_owners_lease_only(
    committing: Budget, auth: Auth, claim_session: AsyncSession
) -> None:
    eid = await voted_election(committing, auth, votes=0)
    await _claimed_by_other(claim_session, eid, "now() + interval '5 seconds'")
    renew = repository.renew_outcome_computation
    assert not await renew(claim_session, key="k", owner="me", lease_seconds=60)
    assert (await _owner(claim_session))[1].total_seconds() == 5
    assert await renew(claim_session, key="k", owner="other", lease_seconds=60)
    assert (await _owner(claim_session))[1].total_seconds() == 60
    await repository.release_outcome_computation(claim_session, key="k", owner="me")
    assert (await _owner(claim_session))[0] == "other"  # only the owner releases it
    await repository.release_outcome_computation(claim_session, key="k", owner="other")
    assert (await claim_session.execute(text("SELECT count(*) FROM outcome_computations"))).scalar() == 0
