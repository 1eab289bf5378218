"""Fetching one part of a composed view: the caller's token and request id travel with it, under a deadline.

A part whose service is down, slow, open-circuited or answering an error raises `PartFailed` with the reason
shown to the caller under `missing`; a 404 is an absent part (None), never a failure.
"""

import asyncio
from typing import Any

import httpx
from fastapi import Request
from opentelemetry.trace import SpanKind

from gateway.proxy import UpstreamsRef
from gateway.upstreams import Upstream
from shared.breaker import State
from shared.logging import request_id_var
from shared.telemetry import tracer
from shared.tracecontext import inject


class PartFailed(Exception):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class Fetcher:
    def __init__(self, upstreams: UpstreamsRef, request: Request, deadline: float) -> None:
        self.upstreams = upstreams
        self.deadline = deadline
        self.headers = {"x-request-id": request_id_var.get() or ""}
        if authorization := request.headers.get("authorization"):
            self.headers["authorization"] = authorization

    async def get(self, service: str, path: str, params: dict[str, Any] | None = None) -> Any:
        upstream = self.upstreams.get().upstream(service)
        if upstream.breaker.state is State.OPEN:
            raise PartFailed(f"the {service} service is unavailable (failing repeatedly)")
        attributes = {"peer.service": service, "url.path": path}
        with tracer.start_as_current_span(f"GET {service}", kind=SpanKind.CLIENT, attributes=attributes):
            headers = dict(self.headers)
            inject(headers)  # each part a child span of the overview's request, in its trace
            return await self._fetch(service, upstream, path, params, headers)

    async def _fetch(
        self,
        service: str,
        upstream: Upstream,
        path: str,
        params: dict[str, Any] | None,
        headers: dict[str, str],
    ) -> Any:
        try:
            async with asyncio.timeout(self.deadline):
                response = await upstream.client.get(path, params=params, headers=headers)
        except TimeoutError as exc:
            raise PartFailed(f"the {service} service did not answer within {self.deadline:g}s") from exc
        except httpx.HTTPError as exc:
            raise PartFailed(f"the {service} service is unavailable") from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            detail = _json(response)
            detail = detail.get("detail", "") if isinstance(detail, dict) else ""
            raise PartFailed(f"the {service} service answered {response.status_code} {detail}".strip(),
                             response.status_code)  # fmt: skip
        body = _json(response)
        if body is None:
            raise PartFailed(f"the {service} service answered something other than JSON")
        return body


def _json(response: httpx.Response) -> Any:
    """The body as JSON, or None: one service's malformed answer is a missing part, never a 500."""
    try:
        return response.json() if response.content else None
    except ValueError:
        return None
