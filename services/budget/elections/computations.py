"""Outcomes computed apart from the requests asking for them: once across replicas, past a replica's death.

An outcome not stored yet can take long (MES+Add1 on a city-wide vote: ~45 min). The request reads what the
engine needs in one short read-only snapshot (outcomes.py) and hands it here; no transaction and no pool
connection is held while the engine runs:

1. claim: one short transaction takes the outcome's row in `outcome_computations` (new, or a lease that ran
   out: its owner died) and looks for the outcome once more (stored meanwhile: the claim is rolled back);
2. compute in a thread of its own (a daemon: a process stopping does not wait for it), while a heartbeat
   renews the claim's lease;
3. store: one short transaction inserts the outcome and deletes the claim. An OutcomeError deletes the claim.

Within a process, requests for the same outcome await the same task (`OutcomeComputations.jobs`); a request
waits for it up to BUDGET_OUTCOME_WAIT_SECONDS, then answers 202 while the task goes on. A process that
finds another replica's live claim polls until the outcome is stored, or takes the claim over once its lease
expires.
"""

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import State

from services.budget.elections import repository
from services.budget.elections.errors import OutcomeFailed
from services.budget.elections.models import OutcomeRecord
from services.budget.elections.tally import Computed
from services.budget.outcomes.instance import OutcomeError
from services.budget.settings import BudgetSettings
from shared.app import LifespanPart

logger = logging.getLogger("budget.outcomes")
SEOUL = ZoneInfo("Asia/Seoul")
RETRY_AFTER = 5
"""Seconds a caller told 202 is asked to wait before asking again."""
T = TypeVar("T")
POLL_FIRST, POLL_MAX = 0.2, 2.0
"""While another replica computes: seconds between looks for its outcome (doubling up to POLL_MAX)."""


@dataclass(frozen=True, slots=True)
class OutcomeInputs:
    """One outcome to compute: its key, the engine run (inputs read in one snapshot), the record's values."""

    key: str
    asked: str
    """The outcome asked for: the key without the ballots' digest."""
    election_id: int
    rule: str
    digest: str
    n_ballots: int
    decision: Callable[[], Computed]
    values: dict[str, Any]
    """The stored record's columns but the computed ones (selected, total_cost, projects, details)."""
    find: Callable[[AsyncSession], Awaitable[OutcomeRecord | None]]
    """Reads the stored outcome of this key in a session (None when there is none)."""

    def record(self, computed: Computed) -> dict[str, Any]:
        """The stored record's columns, the computed ones with them."""
        return {
            **self.values,
            "selected": computed.selected,
            "total_cost": computed.total_cost,
            "projects": computed.projects,
            "details": computed.details,
        }

    def log_computed(self, outcome_id: int, started: float) -> None:
        """The one line a computation writes (`started`: time.perf_counter() before the engine ran)."""
        logger.info(
            "outcome computed",
            extra={
                "election_id": self.election_id,
                "rule": self.rule,
                "outcome_id": outcome_id,
                "n_ballots": self.n_ballots,
                "compute_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )


class StillComputing(Exception):
    """The outcome is still being computed after the request's wait: the request answers 202."""

    def __init__(self, inputs: OutcomeInputs, started_at: datetime) -> None:
        super().__init__(f"outcome of election {inputs.election_id} ({inputs.rule}) is being computed")
        self.election_id = inputs.election_id
        self.rule = inputs.rule
        self.started_at = started_at


@dataclass(slots=True)
class Job:
    inputs: OutcomeInputs
    started_at: datetime
    task: "asyncio.Task[OutcomeRecord] | None" = field(default=None)


async def in_daemon_thread(call: Callable[[], T], name: str) -> T:
    """`call()` in a thread of its own, awaited. Not the shared worker threads (run_in_threadpool): a
    computation may run for minutes and would hold one of their tokens that long; and a daemon thread, so
    that a process stopping (its computations cancelled, claims released) need not wait for the engine to
    finish. The C kernel releases the GIL while it runs."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.cancelled():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = call(), None
        except BaseException as exc:  # handed to the awaiting task, as run_in_threadpool would
            result, error = None, exc
        with suppress(RuntimeError):  # the loop closed meanwhile: nobody awaits this any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return await done


def process_owner() -> str:
    """This process's name on the claims it takes: host, pid and a random part (a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class OutcomeComputations:
    """The outcomes this process computes or waits for, by key; the tasks are kept here until they end."""

    def __init__(self, state: State, owner: str | None = None) -> None:
        self.state = state  # the app's: its sessionmaker and settings are read when used (tests swap them)
        self.owner = owner or process_owner()
        self.jobs: dict[str, Job] = {}
        """By outcome key (with the ballots' digest)."""
        self.asked: dict[str, Job] = {}
        """By outcome asked for (without the digest): the one computing now."""

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        maker: async_sessionmaker[AsyncSession] = self.state.sessionmaker
        return maker

    @property
    def settings(self) -> BudgetSettings:
        settings: BudgetSettings = self.state.settings
        return settings

    async def outcome(self, inputs: OutcomeInputs) -> OutcomeRecord:
        """The stored outcome, computed here or by another replica, within the wait; else StillComputing.

        One computation at a time per outcome asked for (election, rule, params, tie-break) in a process:
        while ballots change (an open election) each request reads another digest, and a caller polling a
        long computation would otherwise start a new one every time. A request for another digest of an
        outcome being computed waits for that computation, then computes its own within what is left of
        its wait (or is answered 202 with the running one's start).
        """
        deadline = time.monotonic() + self.settings.outcome_wait_seconds
        while (job := self.jobs.get(inputs.key)) is None:
            other = self.asked.get(inputs.asked)
            if other is None:
                job = self._start(inputs)
                break
            await self._wait(other, deadline)
            if other.task is not None and not other.task.done():
                raise StillComputing(inputs, other.started_at)
        await self._wait(job, deadline)
        task = job.task
        assert task is not None
        if not task.done():
            raise StillComputing(inputs, job.started_at)
        return task.result()

    def _start(self, inputs: OutcomeInputs) -> Job:
        job = Job(inputs, datetime.now(SEOUL))
        job.task = asyncio.create_task(self._run(job), name=f"outcome {inputs.key}")
        self.jobs[inputs.key] = job
        self.asked[inputs.asked] = job
        job.task.add_done_callback(partial(self._done, job))
        return job

    @staticmethod
    async def _wait(job: Job, deadline: float) -> None:
        """Until the job ends or the deadline passes. asyncio.wait never cancels the task: a client that goes
        away (this request cancelled) or a wait that ends leaves the computation running for the next one."""
        assert job.task is not None
        await asyncio.wait([job.task], timeout=max(0.0, deadline - time.monotonic()))

    def _done(self, job: Job, task: "asyncio.Task[OutcomeRecord]") -> None:
        key = job.inputs.key
        if self.jobs.get(key) is job:
            del self.jobs[key]
        if self.asked.get(job.inputs.asked) is job:
            del self.asked[job.inputs.asked]
        exc = None if task.cancelled() else task.exception()
        if exc is not None and not isinstance(exc, OutcomeFailed):  # OutcomeFailed: the waiting request's 422
            logger.error("outcome computation failed", exc_info=exc, extra={"key": key})

    async def _run(self, job: Job) -> OutcomeRecord:
        inputs = job.inputs
        delay = POLL_FIRST
        while True:
            async with self.sessionmaker() as session, session.begin():
                started = await repository.claim_outcome_computation(
                    session,
                    key=inputs.key,
                    election_id=inputs.election_id,
                    owner=self.owner,
                    lease_seconds=self.settings.outcome_lease_seconds,
                )
                # After the claim: an owner that stored the outcome and deleted its claim meanwhile committed
                # before the claim statement could insert, so this read sees its outcome.
                found = await inputs.find(session)
                if found is not None:
                    session.expunge(found)  # kept loaded: a rollback expires what its session holds
                    await session.rollback()  # the claim taken, if any, with it
                    return found
                if started is None:
                    held = await repository.outcome_computation(session, inputs.key)
                    if held is not None:
                        job.started_at = held.started_at.astimezone(SEOUL)
            if started is not None:
                job.started_at = started.astimezone(SEOUL)
                return await self._compute(inputs)
            await asyncio.sleep(delay)
            delay = min(delay * 2, POLL_MAX)

    async def _compute(self, inputs: OutcomeInputs) -> OutcomeRecord:
        started = time.perf_counter()
        try:
            async with self._heartbeat(inputs.key):
                computed = await in_daemon_thread(inputs.decision, name=f"outcome {inputs.election_id}")
            record = await self._store(inputs, computed)
        except OutcomeError as exc:
            await self._release(inputs.key)
            raise OutcomeFailed(str(exc), detail_ko=f"결과를 계산할 수 없습니다: {exc}") from exc
        except BaseException:
            await self._release(inputs.key)
            raise
        inputs.log_computed(record.id, started)
        return record

    async def _store(self, inputs: OutcomeInputs, computed: Computed) -> OutcomeRecord:
        """The outcome inserted (unless stored already: publish() may have) and the claim deleted, at once."""
        async with self.sessionmaker() as session, session.begin():
            await repository.insert_outcome(session, inputs.record(computed))
            await repository.release_outcome_computation(session, key=inputs.key, owner=self.owner)
            stored: OutcomeRecord | None = await inputs.find(session)
            assert stored is not None
        return stored

    async def _release(self, key: str) -> None:
        """Best effort: a claim left behind expires with its lease."""
        try:
            async with self.sessionmaker() as session, session.begin():
                await repository.release_outcome_computation(session, key=key, owner=self.owner)
        except Exception:
            logger.warning("an outcome claim could not be released; its lease will expire", exc_info=True)

    @asynccontextmanager
    async def _heartbeat(self, key: str) -> AsyncIterator[None]:
        task = asyncio.create_task(self._renew(key), name=f"outcome lease {key}")
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _renew(self, key: str) -> None:
        while True:
            await asyncio.sleep(self.settings.outcome_renew_seconds)
            try:
                async with self.sessionmaker() as session, session.begin():
                    kept = await repository.renew_outcome_computation(
                        session, key=key, owner=self.owner, lease_seconds=self.settings.outcome_lease_seconds
                    )
            except Exception:
                logger.warning("an outcome claim's lease could not be renewed; trying again", exc_info=True)
                continue
            if not kept:
                # Stalled past the lease: another replica took over. Storing stays correct (same key, the
                # insert does nothing if it stored first); only the work is done twice.
                logger.warning("an outcome claim was taken over by another process", extra={"key": key})

    async def close(self) -> None:
        """Cancel what is computing here and release its claims (the lease covers a kill -9)."""
        tasks = [job.task for job in self.jobs.values() if job.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def outcome_computations(state: State) -> OutcomeComputations:
    """The app's computations, made on first use when the lifespan has not (in-process test clients)."""
    if not hasattr(state, "outcome_computations"):
        state.outcome_computations = OutcomeComputations(state)
    computations: OutcomeComputations = state.outcome_computations
    return computations


def outcome_computations_part() -> LifespanPart:
    @asynccontextmanager
    async def part(app: FastAPI) -> AsyncIterator[None]:
        computations = outcome_computations(app.state)
        try:
            yield
        finally:
            await computations.close()

    return part
