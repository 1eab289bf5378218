"""Cross-origin requests from the frontend teams' browsers (Starlette's CORSMiddleware).

It wraps the proxy, so a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered here,
before the proxy's allow-list, method and body checks and without asking a service; and every answer
the proxy or the gateway's own app gives, problem+json errors included, carries the CORS headers.
"""

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.settings import GatewaySettings
from shared.language import preferred_language
from shared.problems import FieldError, problem_response

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "Accept-Language",
    "X-Request-ID",
)
EXPOSED_HEADERS = ("X-Request-ID", "ETag", "Retry-After", "Location", "Idempotent-Replayed")
PREFLIGHT_MAX_AGE = 600


# Which request header names each refusal Starlette lists ("Disallowed CORS origin, headers").
_REFUSED_FIELDS = {
    "origin": "header.Origin",
    "method": "header.Access-Control-Request-Method",
    "headers": "header.Access-Control-Request-Headers",
    "private-network": "header.Access-Control-Request-Private-Network",
}


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as problem+json naming what was refused."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ").split(", ")
        fields = [_REFUSED_FIELDS.get(reason, "header.Origin") for reason in refused]
        headers = {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}
        return problem_response(
            400,
            title="Cross-origin request refused",
            detail=f"this preflight is not allowed: {', '.join(refused)}",
            code="cors-refused",
            errors=[
                FieldError(
                    field=field,
                    message="not allowed for cross-origin requests",
                    message_ko="교차 출처 요청에는 허용되지 않습니다.",
                )
                for field in fields
            ],
            headers=headers,
            language=preferred_language(request_headers.get("accept-language")),
            title_ko="교차 출처 요청 거부",
            detail_ko=f"이 사전 요청(preflight)은 허용되지 않습니다: {', '.join(refused)}",
        )


class OriginlessFastPath:
    """Requests without an Origin header (servers, scripts, wrk) skip Starlette's CORS machinery.

    Starlette's answer to them is only `Vary: Origin` on every response (merged into the response's own
    `vary` headers as one). That is added here, header for header as Starlette would, without its
    `Headers` and `MutableHeaders` copies of both header lists (~3 % of the gateway's CPU a ballot).
    Every request with an Origin, and anything but HTTP, goes through Starlette's middleware unchanged.
    """

    def __init__(self, app: ASGIApp, cors: ASGIApp) -> None:
        self.app = app
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(name == b"origin" for name, _ in scope["headers"]):
            await self.cors(scope, receive, send)
            return

        async def send_vary_origin(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = vary_origin(message.get("headers", []))
            await send(message)

        await self.app(scope, receive, send_vary_origin)


def vary_origin(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with "Origin" added to Vary as Starlette's `MutableHeaders["Vary"] = ...` does: the values
    of every `vary` header joined into the first one (the others dropped), or one appended."""
    found: list[bytes] = []
    merged: list[tuple[bytes, bytes]] = []
    first = -1
    for name, value in headers:
        if name == b"vary":
            if first < 0:
                first = len(merged)
                merged.append((name, value))
            found.append(value)
        else:
            merged.append((name, value))
    if first < 0:
        merged.append((b"vary", b"Origin"))
    else:
        merged[first] = (b"vary", b", ".join([*found, b"Origin"]))
    return merged


def with_cors(app: ASGIApp, settings: GatewaySettings) -> ASGIApp:
    return OriginlessFastPath(app, _starlette_cors(app, settings))


def _starlette_cors(app: ASGIApp, settings: GatewaySettings) -> ASGIApp:
    return ProblemCORSMiddleware(
        app,
        allow_origins=settings.allowed_origins(),
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        allow_credentials=settings.cors_allow_credentials,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_MAX_AGE,
    )
