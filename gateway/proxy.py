"""Forwarding: a pure ASGI app in front of the gateway's own routes.

Public paths (gateway/routes.py, gateway/allowlist.py) are relayed to their upstream with hop-by-hop headers
dropped, the request id and trace context (the gateway's own span's, same trace) forwarded, bodies limited
(gateway/limits.py) and streamed, and the upstream response always closed. A bearer token is verified here
first (the service verifies it again); a write without one is refused before it reaches a service.
"""

import logging
import time
from collections.abc import AsyncIterator, Callable
from urllib.parse import quote

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.allowlist import RouteTables
from gateway.limits import BodyLimits, CountedBody, too_large
from gateway.routes import MethodNotAllowed, canonical_path, match
from gateway.upstreams import Upstream, Upstreams
from shared.auth import TokenVerifier
from shared.language import scope_language
from shared.logging import request_id_var
from shared.problems import NotFound, ProblemError, Unauthorized, error_response, problem_response
from shared.tracecontext import inject

logger = logging.getLogger("gateway.proxy")

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
        b"x-request-id",
        b"forwarded",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"traceparent",  # replaced by the gateway's own span's context
        b"tracestate",
    }
)
RESPONSE_DROP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"transfer-encoding",
        b"upgrade",
        b"trailer",
        b"x-request-id",
        b"server",
        b"date",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FAST_FAILURE = 0.1
"""Seconds: a safe request that failed this fast without an answer (a stale pooled connection,
an upstream restarting) is tried once more."""
_clock = time.monotonic


class ProxyApp:
    """Relays public paths to upstreams; everything else goes to the gateway's own app.

    Before a request is relayed, in this order: its path must be canonical (400), public (404) and
    declare its method (405, with Allow); its declared body must fit the route's limit (413); a write
    must carry a token and any token must verify (401). None of these asks an upstream anything but its
    route table.
    """

    def __init__(
        self,
        app: ASGIApp,
        upstreams: "UpstreamsRef",
        verifier: TokenVerifier,
        max_buffered: int,
        tables: "TablesRef",
        limits: BodyLimits,
        on_write: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.upstreams = upstreams
        self.verifier = verifier
        self.max_buffered = max_buffered
        self.tables = tables
        self.limits = limits
        self.on_write = on_write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            path = canonical_path(_raw_path(scope))
        except ProblemError as exc:
            await _refuse(exc, scope, receive, send)
            return
        route = match(path)
        if route is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = route
        upstream = self.upstreams.get().upstream(route.upstream)
        breaker = upstream.breaker
        if not breaker.allow():
            await _circuit_open(route.upstream, breaker.retry_after(), scope, receive, send)
            return
        try:
            methods = (await self.tables.get().table(route)).methods(path)
            refusal = await self._refusal(scope, path, methods)
        except httpx.HTTPError as exc:  # no route table: fail closed
            if isinstance(exc, httpx.TransportError):
                breaker.failed()
            else:
                breaker.released()  # the service answered, only not with a usable OpenAPI document
            await _upstream_failure(exc, route.upstream, scope, receive, send)
            return
        except BaseException:
            breaker.released()
            raise
        if refusal is not None:
            breaker.released()
            await _refuse(refusal, scope, receive, send, methods)
            return
        await self._forward(scope, receive, send, route.upstream, self.limits.limit(scope["method"], path))

    async def _refusal(self, scope: Scope, path: str, methods: frozenset[str] | None) -> ProblemError | None:
        if methods is None:
            return NotFound(f"no public path {path}", detail_ko=f"공개 경로 {path}이(가) 없습니다.")
        if scope["method"] not in methods:
            return MethodNotAllowed(
                f"{path} does not allow {scope['method']}",
                detail_ko=f"{path}은(는) {scope['method']} 메서드를 허용하지 않습니다.",
            )
        length = _header(scope, b"content-length")
        declared = int(length) if length is not None and length.isdigit() else None
        if refusal := self.limits.refusal(scope["method"], path, declared):
            return refusal
        try:
            await self._authenticate(scope)
        except ProblemError as exc:
            return exc
        return None

    async def _authenticate(self, scope: Scope) -> None:
        authorization = _header(scope, b"authorization")
        if authorization is None:
            if scope["method"] not in SAFE_METHODS:
                raise Unauthorized(
                    "this operation needs a bearer token", detail_ko="이 작업에는 bearer 토큰이 필요합니다."
                )
            return
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized(
                "the Authorization header must be 'Bearer <token>'",
                detail_ko="Authorization 헤더는 'Bearer <token>' 형식이어야 합니다.",
            )
        await self.verifier.verify(token.strip())

    async def _forward(self, scope: Scope, receive: Receive, send: Send, upstream: str, limit: int) -> None:
        target_upstream = self.upstreams.get().upstream(upstream)
        breaker = target_upstream.breaker
        path = scope.get("raw_path") or scope["path"].encode()
        target = path.decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        content: bytes | CountedBody = b""
        try:
            content = await _request_body(scope, receive, self.max_buffered, limit)
            request = target_upstream.build_request(scope["method"], target, _forward_headers(scope), content)
            retry = scope["method"] in SAFE_METHODS and isinstance(content, bytes)
            replayable = (
                scope["method"] == "POST"
                and isinstance(content, bytes)
                and _header(scope, b"idempotency-key") is not None
            )
            response = await _send(target_upstream, request, retry, replayable)
        except ProblemError as exc:  # a body over the limit, found while reading it
            breaker.released()
            await _refuse(exc, scope, receive, send)
            return
        except httpx.HTTPError as exc:
            if isinstance(content, CountedBody) and content.exceeded:
                breaker.released()  # the caller's body was cut, not the upstream's fault
                await _refuse(too_large(scope["method"], limit), scope, receive, send)
                return
            breaker.failed()
            await _upstream_failure(exc, upstream, scope, receive, send)
            return
        except BaseException:
            breaker.released()
            raise
        breaker.succeeded()
        if self.on_write is not None and scope["method"] not in SAFE_METHODS:
            self.on_write()  # composed views cached in the gateway may now be stale
        try:
            headers: list[tuple[bytes, bytes]] = []
            lengths: list[bytes] = []
            for name, value in response.headers.raw:
                lower = name.lower()
                if lower not in RESPONSE_DROP:
                    headers.append((name, value))
                    if lower == b"content-length":
                        lengths.append(value)
            await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
            declared = _declared_length(lengths, scope["method"], response.status_code)
            await _relay_body(response, declared, send)
        except httpx.HTTPError as exc:
            # Bytes were already relayed: nothing can be retried or rewritten; the client sees a cut response.
            logger.warning("upstream %s failed mid-response: %s", upstream, exc)
        finally:
            await response.aclose()


async def _send(
    upstream: Upstream, request: httpx.Request, retry: bool, replayable: bool = False
) -> httpx.Response:
    """The transport directly, not `client.send`: see gateway/upstreams.py `Upstream`.

    Tried once more: a safe request that failed fast (`retry`), and a POST carrying an Idempotency-Key
    (`replayable`) whose connection broke before any answer: the service answers a repeated key with the
    first answer (or 409 while the first is still running), never with a second record.
    """
    started = _clock()
    try:
        return await upstream.transport.handle_async_request(request)
    except httpx.TransportError as exc:
        broke = replayable and isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError)
        if not broke and (not retry or _clock() - started > FAST_FAILURE):
            raise
        logger.info("retrying %s %s once after %s", request.method, request.url.path, type(exc).__name__)
        return await upstream.transport.handle_async_request(request)


async def _relay_body(response: httpx.Response, remaining: int | None, send: Send) -> None:
    """The upstream's body, relayed chunk by chunk as it arrives (the response is closed by the caller).

    The transport's stream is read directly (`Response.aiter_raw` only adds bookkeeping a relay never
    reads), and the chunk that completes the declared length (`remaining`) ends the response itself: one
    message fewer through the middleware than an empty closing one, which is sent only when the length was
    not declared (or not reached: then the upstream broke off and the error cuts the response).
    """
    stream = response.stream
    if not isinstance(stream, httpx.AsyncByteStream):  # a synchronous transport: not the gateway's
        raise TypeError("the gateway relays only asynchronous response streams")
    complete = False
    async for chunk in stream:
        if complete or not chunk:
            continue  # nothing after a declared length is complete (aiohttp frames the body by it)
        if remaining is not None:
            remaining -= len(chunk)
            complete = remaining <= 0
        await send({"type": "http.response.body", "body": chunk, "more_body": not complete})
    if not complete:
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _declared_length(values: list[bytes], method: str, status: int) -> int | None:
    """The body's Content-Length when the response has one unambiguous one (never for HEAD or 304)."""
    if method == "HEAD" or status in (204, 304):
        return None
    if len(values) != 1 or not values[0].isdigit():
        return None
    return int(values[0])


class UpstreamsRef:
    """Late binding: the clients exist only inside the lifespan."""

    def __init__(self) -> None:
        self.upstreams: Upstreams | None = None

    def get(self) -> Upstreams:
        if self.upstreams is None:
            raise RuntimeError("the gateway's upstream clients are not started")
        return self.upstreams


class TablesRef:
    """Late binding, as UpstreamsRef: the route tables fetch through the upstream clients."""

    def __init__(self) -> None:
        self.tables: RouteTables | None = None

    def get(self) -> RouteTables:
        if self.tables is None:
            raise RuntimeError("the gateway's route tables are not started")
        return self.tables


def _raw_path(scope: Scope) -> bytes:
    raw: bytes | None = scope.get("raw_path")
    return raw if raw else quote(scope["path"], safe="/:@!$&'()*+,;=~").encode("ascii")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _forward_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in scope["headers"] if k not in HOP_BY_HOP]
    trace: dict[str, str] = {}
    inject(trace)  # the gateway's server span: the upstream's span is its child, in the caller's trace
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in trace.items()]
    request_id = request_id_var.get()
    if request_id:
        headers.append((b"x-request-id", request_id.encode()))
    client = scope.get("client")
    if client:
        headers.append((b"x-forwarded-for", client[0].encode()))
    headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
    return headers


async def _request_body(scope: Scope, receive: Receive, max_buffered: int, limit: int) -> bytes | CountedBody:
    """Small sized bodies are read whole (one write upstream); large or unsized ones are streamed, counted.

    A declared length is already within `limit` (checked before); the server frames the body by it.
    """
    length = _header(scope, b"content-length")
    if length is not None and length.isdigit() and int(length) <= max_buffered:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                return b"".join(chunks)
    if length is None and _header(scope, b"transfer-encoding") is None:
        return b""  # no body at all

    async def stream() -> AsyncIterator[bytes]:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            yield message.get("body", b"")
            if not message.get("more_body"):
                return

    if limit == 0:  # an unsized body on a method that takes none: refused at its first byte
        async for chunk in stream():
            if chunk:
                raise too_large(scope["method"], limit)
        return b""
    return CountedBody(stream(), limit)


async def _refuse(
    problem: ProblemError,
    scope: Scope,
    receive: Receive,
    send: Send,
    methods: frozenset[str] | None = None,
) -> None:
    headers: dict[str, str] = {}
    if problem.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if problem.status == 405 and methods:
        headers["Allow"] = ", ".join(sorted(methods))
    if problem.status == 413:
        headers["Connection"] = "close"  # the rest of the body is not read
    response = error_response(
        problem, language=scope_language(scope), instance=scope["path"], headers=headers
    )
    await response(scope, receive, send)


async def _circuit_open(upstream: str, retry_after: int, scope: Scope, receive: Receive, send: Send) -> None:
    detail = f"the {upstream} service is unavailable (failing repeatedly; next try in {retry_after} s)"
    response = problem_response(
        503,
        detail=detail,
        code="upstream-circuit-open",
        instance=scope["path"],
        headers={"Retry-After": str(retry_after)},
        language=scope_language(scope),
        detail_ko=f"{upstream} 서비스를 사용할 수 없습니다(연속 실패, {retry_after}초 후 다시 시도).",
    )
    await response(scope, receive, send)


async def _upstream_failure(
    exc: httpx.HTTPError, upstream: str, scope: Scope, receive: Receive, send: Send
) -> None:
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        status, code, detail = 503, "upstream-unavailable", f"the {upstream} service is unavailable"
        detail_ko = f"{upstream} 서비스를 사용할 수 없습니다."
    elif isinstance(exc, httpx.TimeoutException):
        status, code, detail = 504, "upstream-timeout", f"the {upstream} service did not answer in time"
        detail_ko = f"{upstream} 서비스가 제한 시간 안에 응답하지 않았습니다."
    else:
        status, code, detail = 502, "upstream-error", f"the {upstream} service failed to answer"
        detail_ko = f"{upstream} 서비스가 응답하지 못했습니다."
    logger.warning("%s: %s %s", detail, type(exc).__name__, exc)
    headers = {"Retry-After": "5"} if status == 503 else None
    response = problem_response(
        status,
        detail=detail,
        code=code,
        instance=scope["path"],
        headers=headers,
        language=scope_language(scope),
        detail_ko=detail_ko,
    )
    await response(scope, receive, send)
