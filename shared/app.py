"""One call wires the shared defaults into a service: logging, errors, auth, DB, health, metrics."""

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from sqlalchemy import text

from shared.auth import TokenVerifier
from shared.db import create_engine, create_sessionmaker
from shared.hot_routes import HotRoute, HotRoutes
from shared.idempotency import IdempotencyMiddleware
from shared.json_body import JsonBodyRoute
from shared.logging import configure_logging
from shared.observability import Metrics, ReadinessDetail, RequestContextMiddleware, health_router
from shared.problems import PROBLEM_RESPONSES, install_problem_handlers, problem_media_type
from shared.request_limits import BodyLimitMiddleware, route_limits
from shared.retries_openapi import document_retries
from shared.service_auth import ServiceTokenVerifier
from shared.settings import ServiceSettings
from shared.telemetry import FASTAPI_TELEMETRY_OFF, configure_tracing

QUIET_PATHS = frozenset({"/livez", "/readyz", "/metrics"})

LifespanPart = Callable[[FastAPI], AbstractAsyncContextManager[None]]
"""Something a service runs while it runs (its clients, the outbox relay), once its engine exists."""


def operation_id(service: str) -> Callable[[APIRoute], str]:
    """Stable operationIds: `<service>_<handler name>`, so clients generated from the spec don't churn."""

    def generate(route: APIRoute) -> str:
        return f"{service}_{route.name}"

    return generate


async def _database_ready(request: Request) -> None:
    async with asyncio.timeout(2):
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


def freeze_startup_objects() -> None:
    """What start-up built (modules, models, metadata) lives as long as the process: moved out of the cycle
    collector's way, so that the full collections that requests' allocations trigger stop walking it again
    and again (7-17 % of a councils read's CPU, measured alternately). Garbage is collected first, so none
    is kept for good."""
    gc.collect()
    gc.freeze()


def create_service_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    version: str = "0.1.0",
    readiness_detail: ReadinessDetail | None = None,
    lifespan_parts: Sequence[LifespanPart] = (),
    metrics: Metrics | None = None,
    hot_routes: Sequence[HotRoute] = (),
) -> FastAPI:
    """Build a service's FastAPI app; the lifespan owns the engine (and `lifespan_parts`) and closes it.
    `hot_routes` (shared/hot_routes.py): routes of `routers` whose well-formed requests skip FastAPI's
    routing and dependency solving."""
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otel_exporter_otlp_endpoint)
    metrics = metrics or Metrics(settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        try:
            async with AsyncExitStack() as stack:
                for part in lifespan_parts:
                    await stack.enter_async_context(part(app))
                freeze_startup_objects()
                yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        generate_unique_id_function=operation_id(settings.service_name),
        responses=PROBLEM_RESPONSES,
        telemetry=FASTAPI_TELEMETRY_OFF,
    )
    app.state.settings = settings
    app.state.verifier = TokenVerifier(settings)
    app.state.service_verifier = ServiceTokenVerifier(settings, settings.service_name)
    app.state.metrics = metrics
    install_problem_handlers(app)
    routers = [health_router(_database_ready, metrics, readiness_detail), *routers]
    routes = [route for router in routers for route in router.routes if isinstance(route, APIRoute)]
    unguarded = [route.path for route in routes if not isinstance(route, JsonBodyRoute)]
    if unguarded:
        raise RuntimeError(f"routers must use route_class=JsonBodyRoute: {', '.join(unguarded)}")
    limits = settings.body_limits()
    app.add_middleware(IdempotencyMiddleware, schema=settings.service_name)  # inside the request context
    # Outside idempotency (which reads the whole body), inside the request context (request id, metrics).
    app.add_middleware(BodyLimitMiddleware, default=limits["json"], special=route_limits(routes, limits))
    app.add_middleware(RequestContextMiddleware, metrics=metrics, quiet_paths=QUIET_PATHS)
    for router in routers:
        app.include_router(router)
    if hot_routes:
        strangers = [hot.route.path for hot in hot_routes if hot.route not in routes]
        if strangers:
            raise RuntimeError(f"hot routes must be routes of the service's routers: {', '.join(strangers)}")
        # Under the router, inside every middleware and exception handler (Starlette's router runs its
        # `middleware_stack`, built once in its constructor).
        app.router.middleware_stack = HotRoutes(app.router.middleware_stack, hot_routes)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_retries(problem_media_type(generate()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
