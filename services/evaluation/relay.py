"""The evaluation process's outbox relay, run in its lifespan when EVALUATION_RELAY_ENABLED is set."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.evaluation.settings import EvaluationSettings
from shared.app import LifespanPart
from shared.outbox_relay import OutboxRelay, RelayMetrics, RelayPolicy, running
from shared.service_auth import ServiceTokens
from shared.service_client import CallPolicy, ServiceClient

# Budget's 409s that no later attempt changes: the grant has another result; the event id came with
# another content (services/budget/grants/errors.py).
BUDGET_PERMANENT_CONFLICTS = frozenset({"grant-already-evaluated", "event-id-reused"})


def relay_part(settings: EvaluationSettings, metrics: RelayMetrics) -> LifespanPart:
    @asynccontextmanager
    async def part(app: FastAPI) -> AsyncIterator[None]:
        if not settings.relay_enabled:
            yield
            return
        # No retries inside the client: the relay's own backoff, per event, is the retry.
        policy = CallPolicy(read_timeout=settings.relay_timeout, retries=0)
        budget = ServiceClient(
            callee="budget",
            base_url=settings.budget_url,
            tokens=ServiceTokens(settings, "evaluation"),
            policy=policy,
        )
        relay = OutboxRelay(
            app.state.engine,
            schema="evaluation",
            clients={"budget": budget},
            policy=RelayPolicy(
                poll_seconds=settings.relay_poll_seconds,
                batch=settings.relay_batch,
                backoff_base=settings.relay_backoff_base,
                backoff_max=settings.relay_backoff_max,
                send_timeout=settings.relay_timeout,
                retention_seconds=settings.outbox_retention_hours * 3600,
                permanent_conflicts=BUDGET_PERMANENT_CONFLICTS,
                listen=settings.relay_listen,
            ),
            metrics=metrics,
        )
        try:
            async with running(relay):
                yield
        finally:
            await budget.aclose()

    return part
