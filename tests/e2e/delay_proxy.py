"""A forwarding proxy that holds answers back: a callee that hangs, for the outbox fault tests.

Every request is forwarded to `DELAY_UPSTREAM` at once (so the upstream applies it); the first `DELAY_FIRST`
answers are then held `DELAY_SECONDS` before they are sent, the rest go back at once.
"""

import asyncio
import os

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

UPSTREAM = os.environ["DELAY_UPSTREAM"]
SECONDS = float(os.environ.get("DELAY_SECONDS", "3"))
FIRST = int(os.environ.get("DELAY_FIRST", "1000000"))
_seen = 0


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    global _seen
    if scope["type"] != "http":
        return
    if scope["path"] == "/livez":  # the proxy's own liveness, never forwarded nor delayed
        await Response("ok")(scope, receive, send)
        return
    request = Request(scope, receive)
    headers = [(k, v) for k, v in request.headers.raw if k.lower() not in (b"host", b"content-length")]
    async with httpx.AsyncClient(base_url=UPSTREAM, timeout=30) as client:
        upstream = await client.request(
            request.method, scope["path"], headers=headers, content=await request.body()
        )
    _seen += 1
    if _seen <= FIRST:
        await asyncio.sleep(SECONDS)
    response = Response(
        upstream.content, upstream.status_code, media_type=upstream.headers.get("content-type")
    )
    await response(scope, receive, send)
