"""Cross-origin requests from the frontend teams' browsers (Starlette's CORSMiddleware).

It wraps the proxy, so a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered here,
before the proxy's allow-list, method and body checks and without asking a service; and every answer
the proxy or the gateway's own app gives, problem+json errors included, carries the CORS headers.
"""

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from gateway.settings import GatewaySettings

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


def with_cors(app: ASGIApp, settings: GatewaySettings) -> ASGIApp:
    return CORSMiddleware(
        app,
        allow_origins=settings.allowed_origins(),
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        allow_credentials=settings.cors_allow_credentials,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_MAX_AGE,
    )
