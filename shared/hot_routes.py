"""Hot routes: a service's busiest operation answered without FastAPI's routing and dependency solving.

A hot route is an ordinary route of the service (its path, OpenAPI entry and FastAPI handler unchanged) with
a *hot handler* beside it, which answers the requests it finds well-formed (a canonical path parameter, a
JSON body that parses and validates, no query) by running the same code as the route's handler. Anything
else it declines (returns None) before any effect, and the request goes to FastAPI's route with the body it
read replayed, so every refusal (415, 422 naming the field, the text guard's, …) is FastAPI's own, in the
same order. Routing and dependency solving were a quarter of budget's Python CPU per ballot.

`HotRoutes` wraps the application's router: every middleware (request id, span, access log, metrics, body
limits, idempotency) and the exception handlers (problems) sit outside it as for any route, and the scope
gets the route and path parameters that routing would set.
"""

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi import Response
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.json_body import JsonBodyRequest

HotHandler = Callable[[JsonBodyRequest], Awaitable[Response | None]]


@dataclass(frozen=True, slots=True)
class HotRoute:
    """`handler` answers `route`'s well-formed requests for `method`, or returns None to leave one to it."""

    method: str
    route: APIRoute
    handler: HotHandler


class HotRoutes:
    """ASGI: the hot routes' requests to their hot handlers, everything else (and what they decline) on."""

    def __init__(self, app: ASGIApp, hot: Sequence[HotRoute]) -> None:
        self.app = app
        self.hot: list[tuple[str, re.Pattern[str], HotRoute]] = [
            (route.method, route.route.path_regex, route) for route in hot
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A root path changes what routing matches against: left to routing.
        if scope["type"] == "http" and not scope.get("root_path"):
            method, path = scope["method"], scope["path"]
            for hot_method, pattern, hot in self.hot:
                if method == hot_method and (match := pattern.match(path)):
                    await self._serve(hot, match.groupdict(), scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _serve(
        self, hot: HotRoute, params: dict[str, str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        # What routing sets for the route (the request middleware labels its metrics and log by "route").
        scope["path_params"] = {**scope.get("path_params", {}), **params}
        scope["endpoint"] = hot.route.endpoint
        scope["route"] = hot.route
        request = JsonBodyRequest(scope, receive)
        response = await hot.handler(request)
        if response is None:
            await self.app(scope, _replaying(request, receive), send)
            return
        await response(scope, receive, send)


def _replaying(request: JsonBodyRequest, receive: Receive) -> Receive:
    """The request's receive as if unread: the body the hot handler read, then the client's own messages."""
    body: bytes | None = getattr(request, "_body", None)
    if body is None:
        return receive
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
