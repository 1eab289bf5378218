"""An anonymous read of a published outcome (JSON or chart) as a hot route (shared/hot_routes.py).

The day a city publishes its result, most requests are citizens opening it: no token, no query. Through
FastAPI's route each cost ~2.5 ms of budget's CPU (dependency solving, two ORM sessions, the election loaded
as an entity with its JSONB), for what is the election's published pointer and a body kept in the process.
Here a request without a token or query is answered from one prepared primary-key read on the bare
connection and the kept body, with the route's own headers. Everything else is declined and answered by the
route: a signed-in caller (whose token may be refused, or who may read other rules), an unknown, unpublished
or pointerless election (404 / 403 / the read that records the pointer), and a body not kept yet (the route
keeps it).
"""

import re
from collections.abc import Callable

from fastapi import Request, Response
from fastapi.routing import APIRoute, APIRouter

from services.budget.elections.published import PublishedBodies
from shared.driver import driver_connection
from shared.hot_routes import HotRoute
from shared.json_body import JsonBodyRequest
from shared.preconditions import if_none_match_hits

PUBLISHED_POINTER = "SELECT published_outcome_id FROM elections WHERE id = $1 AND published_at IS NOT NULL"
_ELECTION_ID = re.compile(r"[1-9][0-9]{0,9}")


def published_read(
    router: APIRouter,
    endpoint: Callable[..., object],
    *,
    bodies: Callable[[Request], PublishedBodies],
    etag: Callable[[int], str],
    media_type: str,
    cache_control: str,
) -> HotRoute:
    """The hot GET of `endpoint`'s route: the published representation kept in `bodies`, tagged by `etag`."""
    route = next(r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is endpoint)

    async def handler(request: JsonBodyRequest) -> Response | None:
        raw_id = request.path_params["election_id"]
        headers = request.headers
        if request.scope["query_string"] or "authorization" in headers or not _ELECTION_ID.fullmatch(raw_id):
            return None
        election_id = int(raw_id)
        if election_id > 2**31 - 1:
            return None
        async with driver_connection(request) as connection:
            record_id: int | None = await connection.fetchval(PUBLISHED_POINTER, election_id)
        if record_id is None:
            return None
        tag = etag(record_id)
        answer_headers = {"ETag": tag, "Cache-Control": cache_control}
        if if_none_match_hits(headers.get("if-none-match"), tag):
            return Response(status_code=304, headers=answer_headers)
        body = bodies(request).get(record_id)
        if body is None:
            return None
        return Response(body, media_type=media_type, headers=answer_headers)

    return HotRoute("GET", route, handler)
