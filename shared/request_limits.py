"""Request body limits, enforced before a handler runs (a pure ASGI middleware).

* `GET`, `HEAD`, `DELETE` and `OPTIONS` take no body: one announced by `Content-Length` > 0 or chunked
  `Transfer-Encoding` is refused with 400 `body-not-allowed`, without reading it.
* Every other route takes at most `MAX_BODY_BYTES` (1 MiB); a route whose `openapi_extra` carries
  `UPLOAD_LIMIT` (the `.pb` import) takes at most `MAX_UPLOAD_BODY_BYTES` (64 MiB and the multipart envelope).
  A `Content-Length` above the limit is refused up front; a chunked body is counted while it streams in and
  refused once it passes the limit: 413 `payload-too-large`, naming the limit.

The application never reads a refused body. A refused body of known length up to `DRAIN_BYTES` (64 MiB) is
left to the server, which discards it and keeps the connection: closing a socket with unread data makes the
kernel reset it, and a proxy in front (the gateway) then loses the answer too. Longer or chunked refused
bodies close the connection (`Connection: close`).
"""

import contextlib
import re
from collections.abc import Iterable
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import FieldError, problem_response

NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
LIMIT_KEY = "x-body-limit"
UPLOAD = "upload"
UPLOAD_LIMIT: dict[str, Any] = {LIMIT_KEY: UPLOAD}
"""Merge into a route's `openapi_extra` to give it the upload limit."""
DRAIN_BYTES = 64 << 20
_MAX_LENGTH_DIGITS = 19  # a Content-Length longer than this is no size any route takes


class _BodyTooLarge(Exception):
    pass


def _refusal(
    status: int, code: str, title: str, detail: str, *, close: bool, extra: dict[str, Any] | None = None
) -> Any:
    return problem_response(
        status,
        title=title,
        detail=detail,
        code=code,
        errors=[FieldError(field="body", message=detail)],
        headers={"Connection": "close"} if close else None,
        extra=extra,
    )


def too_large(limit: int, *, close: bool) -> Any:
    return _refusal(
        413,
        "payload-too-large",
        "Payload too large",
        f"the request body is larger than this route's limit of {limit:,} bytes",
        close=close,
        extra={"max_body_bytes": limit},
    )


def _close_after(length: int | None) -> bool:
    return length is None or length > DRAIN_BYTES


RouteLimit = tuple[frozenset[str], re.Pattern[str], int]


def route_limits(routes: Iterable[APIRoute], limits: dict[str, int]) -> list[RouteLimit]:
    """The routes whose `openapi_extra` names a limit class other than the default, with their limits."""
    return [
        (frozenset(route.methods or ()), compile_path(route.path)[0], limits[route.openapi_extra[LIMIT_KEY]])
        for route in routes
        if route.openapi_extra and LIMIT_KEY in route.openapi_extra
    ]


class BodyLimitMiddleware:
    """Refuses bodies where none belongs and bodies over the route's limit; see the module docstring."""

    def __init__(self, app: ASGIApp, *, default: int, special: list[RouteLimit]) -> None:
        self.app = app
        self.default = default
        self.special = special

    def _limit_for(self, scope: Scope) -> int:
        for methods, path, limit in self.special:
            if scope["method"] in methods and path.match(scope["path"]):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_length: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                raw_length = value
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        length: int | None = None
        if raw_length is not None:
            if not raw_length.isdigit() or len(raw_length) > _MAX_LENGTH_DIGITS:
                detail = "Content-Length must be a whole number of bytes"
                refusal = _refusal(
                    400, "invalid-content-length", "Invalid Content-Length", detail, close=True
                )
                await refusal(scope, receive, send)
                return
            length = int(raw_length)
        if scope["method"] in NO_BODY_METHODS:
            if (length or 0) > 0 or chunked:
                detail = f"a {scope['method']} request takes no body"
                refusal = _refusal(
                    400, "body-not-allowed", "Body not allowed", detail, close=_close_after(length)
                )
                await refusal(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope)
        if length is not None and length > limit:
            await too_large(limit, close=_close_after(length))(scope, receive, send)
            return
        if length is not None or not chunked:
            # h11 and httptools never deliver more than Content-Length announced
            await self.app(scope, receive, send)
            return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:  # whatever the app made of the interrupted read, the answer is 413
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            await too_large(limit, close=True)(scope, receive, send)
