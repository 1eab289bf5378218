"""One client for every service-to-service call: the gateway's aiohttp transport, with the defaults a call
between services needs.

* a timeout per call (connect and read), overridable per request;
* retries with exponential backoff and full jitter, only for safe calls: GET and HEAD, and writes that carry
  an Idempotency-Key (the callee answers a repeated key with its first answer). Retried: failures to get an
  answer (connect errors, timeouts, broken connections) and 502/503/504 answers. Never a 4xx;
* the circuit breaker of shared/breaker.py: after repeated failures to get an answer, calls fail at once
  (`CalleeUnavailable`, with the seconds until the next trial) instead of each waiting for its timeout;
* the caller's `x-request-id`; each attempt an OpenTelemetry client span, child of the caller's span, whose
  context goes out as W3C `traceparent` (shared/tracecontext.py); and a service
  token (shared/service_auth.py) for the callee when the call goes to an internal endpoint.

Failures surface as `CalleeUnavailable` (no answer: the callee is down, hangs or the breaker is open) or as
the callee's own HTTP answer; the caller decides what either means for its own request.
"""

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from opentelemetry.trace import SpanKind

from shared.breaker import CircuitBreaker
from shared.logging import request_id_var
from shared.service_auth import ServiceTokens
from shared.telemetry import tracer
from shared.tracecontext import inject
from shared.transport import RelayTransport

logger = logging.getLogger("shared.service_client")

SAFE_METHODS = frozenset({"GET", "HEAD"})
RETRIED_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class CallPolicy:
    """Timeouts, retries and breaker of one caller's calls to one callee."""

    connect_timeout: float = 1.0
    read_timeout: float = 5.0
    retries: int = 2
    """Further attempts after the first, for safe calls only."""
    backoff_base: float = 0.1
    backoff_max: float = 2.0
    breaker_failures: int = 5
    breaker_reset_seconds: float = 10.0
    max_connections: int = 50
    keepalive_seconds: float = 2.0


class CalleeUnavailable(Exception):
    """No answer from the callee: down, hanging past the timeout, or its circuit is open."""

    def __init__(self, callee: str, reason: str, retry_after: int = 1) -> None:
        super().__init__(f"the {callee} service did not answer: {reason}")
        self.callee = callee
        self.reason = reason
        self.retry_after = retry_after


def backoff_delay(attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random) -> float:
    """Full jitter: a random delay in [0, min(cap, base * 2**attempt)) before retry number `attempt` + 1."""
    return rand() * min(cap, base * (2**attempt))


class ServiceClient:
    """Calls to one callee. Created in the caller's lifespan and closed with it."""

    def __init__(
        self,
        *,
        callee: str,
        base_url: str,
        tokens: ServiceTokens | None = None,
        policy: CallPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.callee = callee
        self.tokens = tokens
        self.policy = policy or CallPolicy()
        self.breaker = CircuitBreaker(self.policy.breaker_failures, self.policy.breaker_reset_seconds)
        self._sleep = sleep
        transport = transport or RelayTransport(self.policy.max_connections, self.policy.keepalive_seconds)
        self.client = httpx.AsyncClient(
            base_url=base_url, transport=transport, timeout=self._timeout(None), trust_env=False
        )

    def _timeout(self, read: float | None) -> httpx.Timeout:
        read_timeout = self.policy.read_timeout if read is None else read
        return httpx.Timeout(
            connect=self.policy.connect_timeout, read=read_timeout, write=read_timeout, pool=read_timeout
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        service_token: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 (per call, passed down to the transport)
    ) -> httpx.Response:
        """One call, retried when safe; its answer (any status), or CalleeUnavailable."""
        method = method.upper()
        sent = dict(headers or {})
        if idempotency_key is not None:
            sent["Idempotency-Key"] = idempotency_key
        if service_token:
            if self.tokens is None:
                raise RuntimeError(f"no service tokens configured for calls to {self.callee}")
            sent["Authorization"] = f"Bearer {self.tokens.token(self.callee)}"
        request_id = request_id_var.get()
        if request_id:
            sent["x-request-id"] = request_id
        safe = method in SAFE_METHODS or idempotency_key is not None
        attempts = 1 + (self.policy.retries if safe else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            if not self.breaker.allow():
                raise CalleeUnavailable(self.callee, "circuit open", self.breaker.retry_after())
            started = time.monotonic()
            try:
                response = await self._send(method, path, json, params, sent, timeout, attempt)
            except httpx.TransportError as exc:
                self.breaker.failed()
                reason = f"{type(exc).__name__} after {time.monotonic() - started:.3f} s"
                if last:
                    raise CalleeUnavailable(self.callee, reason, self.breaker.retry_after()) from exc
                logger.info("retrying %s %s to %s: %s", method, path, self.callee, reason)
            except BaseException:
                self.breaker.released()
                raise
            else:
                self.breaker.succeeded()
                if response.status_code not in RETRIED_STATUSES or last:
                    return response
                logger.info("retrying %s %s to %s: %s", method, path, self.callee, response.status_code)
            await self._sleep(backoff_delay(attempt, self.policy.backoff_base, self.policy.backoff_max))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self,
        method: str,
        path: str,
        json: Any,
        params: Mapping[str, str | int] | None,
        headers: dict[str, str],
        timeout: float | None,  # noqa: ASYNC109 (per call, passed down to the transport)
        attempt: int,
    ) -> httpx.Response:
        """One attempt, in a client span of its own whose context the callee receives as `traceparent`."""
        attributes = {"peer.service": self.callee, "http.request.method": method, "url.path": path}
        with tracer.start_as_current_span(
            f"{method} {self.callee}", kind=SpanKind.CLIENT, attributes={**attributes, "attempt": attempt}
        ) as span:
            inject(headers)
            response = await self.client.request(
                method, path, json=json, params=params, headers=headers, timeout=self._timeout(timeout)
            )
            span.set_attribute("http.response.status_code", response.status_code)
            return response

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def aclose(self) -> None:
        await self.client.aclose()
