"""The gateway: the one public entry. Routing, token verification, composed views and one OpenAPI."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp

from gateway.allowlist import RouteTables
from gateway.cors import with_cors
from gateway.docs import install_docs
from gateway.limits import BodyLimits
from gateway.openapi import MergedSpec
from gateway.overview import overview_router
from gateway.overview_cache import OverviewCache
from gateway.proxy import ProxyApp, TablesRef, UpstreamsRef
from gateway.settings import GatewaySettings
from gateway.upstreams import Upstreams
from shared.app import QUIET_PATHS, freeze_startup_objects, operation_id
from shared.auth import TokenVerifier
from shared.logging import configure_logging
from shared.observability import Metrics, RequestContextMiddleware, health_router
from shared.problems import install_problem_handlers
from shared.telemetry import FASTAPI_TELEMETRY_OFF, configure_tracing

DESCRIPTION = """The public API of Seoul's local-governance backend.

* `/councils/…` — the council registry: districts, governance bodies, people, memberships, meetings, motions.
* `/budget/…` — participatory budgeting: cycles, proposals, screening, ballots, outcomes, grants.
* `/evaluation/…` — performance evaluation of funded district programmes.

Writes need a bearer JWT (`Authorization: Bearer …`) whose `role` claim allows them; district officers'
tokens carry a `district_code` and write only that district. Errors are `application/problem+json` (RFC 9457).
"""


def base_spec(app: FastAPI) -> dict[str, Any]:
    """The gateway's own part of the merged OpenAPI document: its routes, its description, bearer auth."""
    from fastapi.openapi.utils import get_openapi

    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    spec.setdefault("components", {})["securitySchemes"] = {
        "HTTPBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    return spec


def gateway_routes_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The gateway's own routes without its proxy or upstream clients: what `ops.openapi` documents."""
    settings = settings or GatewaySettings()
    return _inner_app(settings, UpstreamsRef(), Metrics("gateway"), OverviewCache(0))


def _inner_app(
    settings: GatewaySettings, upstreams: UpstreamsRef, metrics: Metrics, cache: OverviewCache
) -> FastAPI:
    app = FastAPI(
        title="Seoul governance API",
        description=DESCRIPTION,
        version="0.1.0",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id("gateway"),
        telemetry=FASTAPI_TELEMETRY_OFF,
    )
    app.state.verifier = TokenVerifier(settings)
    install_problem_handlers(app)
    app.include_router(health_router(None, metrics))
    app.include_router(overview_router(upstreams, settings.composition_deadline, cache))
    merged: dict[str, MergedSpec] = {}

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        if "spec" not in merged:
            merged["spec"] = MergedSpec(upstreams.get(), settings.openapi_cache_seconds)
        return JSONResponse(await merged["spec"].get(base_spec(app)))

    install_docs(app, openapi_url="/openapi.json")
    return app


def create_app(settings: GatewaySettings | None = None) -> ASGIApp:
    """The gateway ASGI app: request context → CORS → proxy for routed paths → the gateway's own routes."""
    settings = settings or GatewaySettings()
    configure_logging("gateway", settings.log_level)
    configure_tracing("gateway", settings.otel_exporter_otlp_endpoint)
    metrics = Metrics("gateway")
    ref = UpstreamsRef()
    tables = TablesRef()
    cache = OverviewCache(settings.overview_cache_seconds)
    inner = _inner_app(settings, ref, metrics, cache)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ref.upstreams = Upstreams(settings)
        clients = ref.upstreams.clients
        tables.tables = RouteTables(clients, settings.route_table_seconds, settings.connect_timeout)
        freeze_startup_objects()
        try:
            yield
        finally:
            await ref.upstreams.aclose()
            ref.upstreams = None
            tables.tables = None

    inner.router.lifespan_context = lifespan
    limits = BodyLimits(settings.max_body_bytes, settings.body_limits)
    proxy = ProxyApp(
        inner, ref, TokenVerifier(settings), settings.max_buffered_body, tables, limits, cache.invalidate
    )
    return RequestContextMiddleware(with_cors(proxy, settings), metrics=metrics, quiet_paths=QUIET_PATHS)
