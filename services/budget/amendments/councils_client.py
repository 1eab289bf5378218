"""The budget service's one client for the councils service, shared by the API's council checks and the
re-check loop (recheck.py): one connection pool, one circuit breaker, service tokens, request id and trace
context (shared/service_client.py).

It lives on `app.state`, made at startup (or on first use) and closed at shutdown. Tests put an in-process
councils transport at `app.state.councils_transport`; while one is there, calls go through a client around
it (a new one, with a fresh breaker, whenever the test puts another transport there).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.budget.settings import BudgetSettings
from shared.app import LifespanPart
from shared.service_auth import ServiceTokens
from shared.service_client import CallPolicy, ServiceClient

CALLEE = "councils"


def councils_policy(settings: BudgetSettings) -> CallPolicy:
    # A GET is safe to retry; once is enough: an unanswered check leaves the amendment pending, not lost.
    return CallPolicy(read_timeout=settings.councils_timeout_seconds, retries=1)


def _client(settings: BudgetSettings, transport: httpx.AsyncBaseTransport | None = None) -> ServiceClient:
    return ServiceClient(
        callee=CALLEE,
        base_url=settings.councils_url,
        tokens=ServiceTokens(settings, "budget"),
        policy=councils_policy(settings),
        transport=transport,
    )


def councils_client(app: FastAPI) -> ServiceClient:
    """The app's client for the councils service (the test transport's, when a test put one there)."""
    settings: BudgetSettings = app.state.settings
    hook: httpx.AsyncBaseTransport | None = getattr(app.state, "councils_transport", None)
    if hook is not None:
        hooked: tuple[httpx.AsyncBaseTransport, ServiceClient] | None = getattr(
            app.state, "councils_test_client", None
        )
        if hooked is None or hooked[0] is not hook:
            # The replaced test client is left unclosed: an in-process transport holds no sockets.
            hooked = (hook, _client(settings, hook))
            app.state.councils_test_client = hooked
        return hooked[1]
    client: ServiceClient | None = getattr(app.state, "councils_client", None)
    if client is None:
        client = _client(settings)
        app.state.councils_client = client
    return client


async def close_councils_client(app: FastAPI) -> None:
    for name in ("councils_client", "councils_test_client"):
        held = getattr(app.state, name, None)
        if held is not None:
            delattr(app.state, name)
            await (held[1] if isinstance(held, tuple) else held).aclose()


def councils_client_part() -> LifespanPart:
    """Made at startup, closed at shutdown; listed before the parts that use it, so closed after them."""

    @asynccontextmanager
    async def part(app: FastAPI) -> AsyncIterator[None]:
        councils_client(app)
        try:
            yield
        finally:
            await close_councils_client(app)

    return part
