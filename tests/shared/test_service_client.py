"""The services' client against a real local HTTP server (aiohttp, on a free port): retries only when safe,
backoff with jitter, per-call timeouts, the circuit breaker, request id, trace context and service tokens."""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from opentelemetry import context
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.budget.settings import BudgetSettings
from shared.logging import request_id_var
from shared.service_auth import ServiceTokens, ServiceTokenVerifier
from shared.service_client import CalleeUnavailable, CallPolicy, ServiceClient, backoff_delay
from shared.tracecontext import remote_parent
from tests.e2e.conftest import free_port
from tests.spans import spans

__all__ = ["spans"]


@dataclass
class Callee:
    """A real server whose answers the test scripts: a list of statuses, then 200."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    hang: float = 0.0
    seen: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append({key.lower(): value for key, value in request.headers.items()})
        if self.hang:
            await asyncio.sleep(self.hang)
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({"n": len(self.seen)}, status=status)


@pytest.fixture
async def callee() -> AsyncIterator[Callee]:
    state = Callee()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    state.url = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


@pytest.fixture
def delays() -> list[float]:
    return []


def client(
    url: str, delays: list[float], tokens: ServiceTokens | None = None, **policy: float
) -> ServiceClient:
    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    settings = {"retries": 2, "backoff_base": 0.1, "backoff_max": 2.0, "read_timeout": 1.0, **policy}
    return ServiceClient(
        callee="budget",
        base_url=url,
        tokens=tokens,
        policy=CallPolicy(**settings),  # type: ignore[arg-type]
        sleep=sleep,
    )


async def test_a_get_is_retried_on_503_with_backoff_until_it_succeeds(
    callee: Callee, delays: list[float]
) -> None:
    callee.statuses = [503, 502]
    service = client(callee.url, delays)
    response = await service.get("/x")
    await service.aclose()
    assert response.status_code == 200 and len(callee.seen) == 3
    assert len(delays) == 2 and 0 <= delays[0] < 0.1 and 0 <= delays[1] < 0.2


async def test_retries_stop_after_the_last_attempt_and_the_answer_is_returned(
    callee: Callee, delays: list[float]
) -> None:
    callee.statuses = [503, 503, 503, 503]
    service = client(callee.url, delays)
    response = await service.get("/x")
    await service.aclose()
    assert response.status_code == 503 and len(callee.seen) == 3  # 1 + retries


@pytest.mark.parametrize("status", [400, 404, 409, 422, 500])
async def test_a_4xx_or_500_is_never_retried(callee: Callee, delays: list[float], status: int) -> None:
    callee.statuses = [status]
    service = client(callee.url, delays)
    response = await service.get("/x")
    await service.aclose()
    assert response.status_code == status and len(callee.seen) == 1 and delays == []


async def test_a_write_without_idempotency_key_is_sent_once(callee: Callee, delays: list[float]) -> None:
    callee.statuses = [503]
    service = client(callee.url, delays)
    response = await service.post("/x", json={"a": 1})
    await service.aclose()
    assert response.status_code == 503 and len(callee.seen) == 1


async def test_a_write_with_idempotency_key_is_retried_with_the_same_key(
    callee: Callee, delays: list[float]
) -> None:
    callee.statuses = [503]
    service = client(callee.url, delays)
    response = await service.post("/x", json={"a": 1}, idempotency_key="event-1")
    await service.aclose()
    assert response.status_code == 200 and [h["idempotency-key"] for h in callee.seen] == ["event-1"] * 2


async def test_the_per_call_timeout_fires_and_a_safe_call_is_retried(
    callee: Callee, delays: list[float]
) -> None:
    callee.hang = 1.0
    service = client(callee.url, delays, read_timeout=5.0)
    started = asyncio.get_running_loop().time()
    with pytest.raises(CalleeUnavailable, match="ReadTimeout"):
        await service.get("/x", timeout=0.2)
    await service.aclose()
    assert len(callee.seen) == 3 and asyncio.get_running_loop().time() - started < 1.5


async def test_the_breaker_opens_after_repeated_failures_and_fails_fast(delays: list[float]) -> None:
    service = client(f"http://127.0.0.1:{free_port()}", delays, retries=0, breaker_failures=3)
    for _ in range(3):
        with pytest.raises(CalleeUnavailable, match="ConnectError"):
            await service.get("/x")
    with pytest.raises(CalleeUnavailable, match="circuit open") as refused:
        await service.get("/x")
    await service.aclose()
    assert refused.value.retry_after >= 1


async def test_request_id_trace_context_and_service_token_travel_along(
    callee: Callee, delays: list[float], spans: InMemorySpanExporter
) -> None:
    settings = BudgetSettings()
    service = client(callee.url, delays, tokens=ServiceTokens(settings, "evaluation"))
    callee.statuses = [503]
    request_token = request_id_var.set("rid-talk-1")
    trace_token = context.attach(remote_parent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"))
    try:
        await service.get("/x", service_token=True)
    finally:
        request_id_var.reset(request_token)
        context.detach(trace_token)
        await service.aclose()
    assert [h["x-request-id"] for h in callee.seen] == ["rid-talk-1"] * 2
    parents = [h["traceparent"] for h in callee.seen]
    assert {p.split("-")[1] for p in parents} == {"4bf92f3577b34da6a3ce929d0e0e4736"}
    assert "00f067aa0ba902b7" not in "".join(parents)  # each attempt's own span is the callee's parent
    assert parents[0] != parents[1]  # a span of its own per attempt
    attempts = [span for span in spans.get_finished_spans() if span.kind == SpanKind.CLIENT]
    assert [format(span.context.span_id, "016x") for span in attempts] == [p.split("-")[2] for p in parents]
    token = callee.seen[0]["authorization"].removeprefix("Bearer ")
    assert ServiceTokenVerifier(settings, "budget").verify(token).subject == "service:evaluation"


def test_backoff_is_exponential_capped_and_jittered() -> None:
    top: Callable[[], float] = lambda: 0.999999  # noqa: E731
    assert [round(backoff_delay(n, 0.1, 1.0, top), 3) for n in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert backoff_delay(3, 0.1, 1.0, lambda: 0.0) == 0.0
