"""Request ids, server spans, access logs and Prometheus metrics, in one pure ASGI middleware; /livez,
/readyz, /metrics."""

import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping

from fastapi import APIRouter, Request, Response
from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, StatusCode
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.json_body import JsonBodyRoute
from shared.language import preferred_language
from shared.logging import AccessLog, request_id_var
from shared.problems import problem_response
from shared.telemetry import spans_recorded, tracer, unrecorded_span
from shared.tracecontext import extract

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = AccessLog()
_NO_PARENT = Context()


class Metrics:
    """A process's own Prometheus registry."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration",
            ["service", "method", "route"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.service = service
        # labels() validates and locks on every call: each series' children are looked up once.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, elapsed: float) -> None:
        """Count a request and its duration under (method, route, status)."""
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = (
                self.requests.labels(self.service, method, route, str(status)),
                self.latency.labels(self.service, method, route),
            )
            self._series[key] = series
        series[0].inc()
        series[1].observe(elapsed)


class RequestContextMiddleware:
    """Gives every request an id (kept from X-Request-ID when sane) and a server span (continuing an incoming
    `traceparent`), logs it, and measures it."""

    def __init__(self, app: ASGIApp, metrics: Metrics, quiet_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.metrics = metrics
        self.quiet_paths = quiet_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming_id, trace_headers = _read_headers(scope["headers"])
        request_id = incoming_id or _new_request_id()
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()
        id_header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        # Without a traceparent the propagator would only return an empty context (a new trace).
        parent = extract(trace_headers) if trace_headers else _NO_PARENT
        if spans_recorded():
            attributes = {"service": self.metrics.service, "http.request.method": scope["method"]}
            name = f"{scope['method']} {scope['path']}"
            with tracer.start_as_current_span(
                name, context=parent, kind=SpanKind.SERVER, attributes=attributes
            ) as span:
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    if span.is_recording():
                        _describe(span, scope, status, request_id)
                    self._record(scope, status, time.perf_counter() - started)
                    request_id_var.reset(token)
            return
        # Nothing would receive the span: only its ids, for the logs and traceparent. Attached directly,
        # as `trace.use_span` does, without its generator-based context manager (it records nothing on a
        # span that does not record).
        span_token = context.attach(trace.set_span_in_context(unrecorded_span(parent)))
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)
            context.detach(span_token)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"]
        self.metrics.observe(method, route, status, elapsed)
        if scope["path"] not in self.quiet_paths:
            access_log.write(
                f"{method} {scope['path']} {status}",
                {"status": status, "duration_ms": round(elapsed * 1000, 2), "route": route},
            )


def _describe(span: Span, scope: Scope, status: int, request_id: str) -> None:
    route = getattr(scope.get("route"), "path", None)
    if route:
        span.update_name(f"{scope['method']} {route}")
        span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    span.set_attribute("request_id", request_id)
    if status >= 500:
        span.set_status(StatusCode.ERROR)


def _read_headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, dict[str, str] | None]:
    """One pass over the request's headers: a sane incoming X-Request-ID (the first one) and the trace
    context headers (None without `traceparent`)."""
    request_id: str | None = None
    seen_id = False
    trace_headers: dict[str, str] | None = None
    for key, value in headers:
        if key == b"x-request-id":
            if not seen_id:
                seen_id = True
                candidate = value.decode("latin-1")
                request_id = candidate if _SAFE_ID.match(candidate) else None
        elif key == b"traceparent" or key == b"tracestate":
            if trace_headers is None:
                trace_headers = {}
            trace_headers[key.decode("latin-1")] = value.decode("latin-1")
    if trace_headers is not None and "traceparent" not in trace_headers:
        trace_headers = None
    return request_id, trace_headers


def _new_request_id() -> str:
    """`uuid.uuid4().hex` (the same random bits, version and variant) without building a UUID object."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


ReadinessCheck = Callable[[Request], Awaitable[None]]
ReadinessDetail = Callable[[], Mapping[str, object]]
"""Facts a service adds to /readyz's answer (which optional parts it runs with, say)."""


def health_router(
    readiness: ReadinessCheck | None, metrics: Metrics, detail: ReadinessDetail | None = None
) -> APIRouter:
    """Liveness (the process answers), readiness (its dependencies answer) and metrics."""
    router = APIRouter(tags=["operations"], route_class=JsonBodyRoute)

    @router.get("/livez", summary="Liveness probe", operation_id="livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness probe", operation_id="readyz", response_model=None)
    async def readyz(request: Request) -> dict[str, object] | Response:
        facts = dict(detail()) if detail is not None else {}
        if readiness is not None:
            try:
                await readiness(request)
            except Exception as exc:
                logging.getLogger("readyz").warning("not ready: %s", exc)
                return problem_response(
                    503,
                    detail="a dependency is not reachable",
                    code="not-ready",
                    headers={"Retry-After": "2"},
                    extra=facts,
                    language=preferred_language(request.headers.get("accept-language")),
                    detail_ko="의존하는 서비스에 연결할 수 없습니다.",
                )
        return {"status": "ready", **facts}

    @router.get("/metrics", summary="Prometheus metrics", operation_id="metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
