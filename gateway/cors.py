"""Cross-origin requests from the frontend teams' browsers (Starlette's CORSMiddleware).

It wraps the proxy, so a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered here,
before the proxy's allow-list, method and body checks and without asking a service; and every answer
the proxy or the gateway's own app gives, problem+json errors included, carries the CORS headers.
"""

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp

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


def with_cors(app: ASGIApp, settings: GatewaySettings) -> ASGIApp:
    return ProblemCORSMiddleware(
        app,
        allow_origins=settings.allowed_origins(),
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        allow_credentials=settings.cors_allow_credentials,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_MAX_AGE,
    )
