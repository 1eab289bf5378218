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

from shared.language import scope_language
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
    scope: Scope,
    status: int,
    code: str,
    title: tuple[str, str],
    detail: tuple[str, str],
    *,
    close: bool,
    extra: dict[str, Any] | None = None,
) -> Any:
    """`title` and `detail` are (English, Korean)."""
    return problem_response(
        status,
        title=title[0],
        detail=detail[0],
        code=code,
        errors=[FieldError(field="body", message=detail[0], message_ko=detail[1])],
        headers={"Connection": "close"} if close else None,
        extra=extra,
        language=scope_language(scope),
        title_ko=title[1],
        detail_ko=detail[1],
    )


def too_large(scope: Scope, limit: int, *, close: bool) -> Any:
    return _refusal(
        scope,
        413,
        "payload-too-large",
        ("Payload too large", "요청 본문이 너무 큼"),
        (
            f"the request body is larger than this route's limit of {limit:,} bytes",
            f"요청 본문이 이 경로의 한도 {limit:,}바이트보다 큽니다.",
        ),
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
                refusal = _refusal(
                    scope,
                    400,
                    "invalid-content-length",
                    ("Invalid Content-Length", "유효하지 않은 Content-Length"),
                    (
                        "Content-Length must be a whole number of bytes",
                        "Content-Length는 바이트 수를 나타내는 정수여야 합니다.",
                    ),
                    close=True,
                )
                await refusal(scope, receive, send)
                return
            length = int(raw_length)
        if scope["method"] in NO_BODY_METHODS:
            if (length or 0) > 0 or chunked:
                refusal = _refusal(
                    scope,
                    400,
                    "body-not-allowed",
                    ("Body not allowed", "요청 본문을 허용하지 않음"),
                    (
                        f"a {scope['method']} request takes no body",
                        f"{scope['method']} 요청에는 본문을 보낼 수 없습니다.",
                    ),
                    close=_close_after(length),
                )
                await refusal(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope)
        if length is not None and length > limit:
            await too_large(scope, limit, close=_close_after(length))(scope, receive, send)
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
            await too_large(scope, limit, close=True)(scope, receive, send)
