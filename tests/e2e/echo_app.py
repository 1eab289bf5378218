"""A stand-in upstream for gateway tests: echoes what it received, is slow, fails or hangs up on purpose."""

import asyncio
import hashlib
import time

from fastapi import FastAPI, Request, Response

app = FastAPI()


class SlowToLog(RuntimeError):
    def __str__(self) -> str:
        time.sleep(0.3)
        return "boom"


@app.api_route("/councils/echo", methods=["GET", "POST", "PUT"])
@app.api_route("/budget/echo", methods=["GET", "POST", "PUT"])
@app.api_route("/budget/echo/{anything}", methods=["GET", "POST"])
@app.post("/budget/elections/import")
async def echo(request: Request) -> dict[str, object]:
    body = await request.body()
    return {
        "method": request.method,
        "query": request.url.query,
        "headers": {k: v for k, v in request.headers.items()},
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_length": len(body),
    }


@app.get("/councils/slow")
async def slow() -> dict[str, str]:
    await asyncio.sleep(3)
    return {"status": "late"}


@app.api_route("/councils/boom", methods=["GET", "POST"])
@app.get("/councils/districts/{code}/status")
@app.get("/councils/districts/{code}/overview")
async def boom() -> None:
    """An unhandled error: uvicorn answers 500, logs the error, then closes the connection without having
    said so in the response. The error is slow to log, as a deep traceback is: the window in which the
    gateway could hand the doomed connection to the next caller is then wide open."""
    raise SlowToLog()


@app.get("/councils/hang-up")
async def hang_up() -> Response:
    return Response(b"{}", media_type="application/json", headers={"Connection": "close"})


@app.get("/councils/districts/{code}")
async def district(code: str) -> dict[str, str]:
    return {"code": code, "name_ko": "시험구"}


@app.get("/councils/bodies")
@app.get("/councils/platforms")
async def empty_page() -> dict[str, list[object]]:
    return {"items": []}


@app.get("/openapi.json", include_in_schema=False)
async def spec() -> dict[str, object]:
    return app.openapi()


@app.get("/metrics", include_in_schema=False)
@app.get("/livez", include_in_schema=False)
@app.get("/budget/internal", include_in_schema=False)
async def internal() -> dict[str, str]:
    return {"internal": "reached"}


@app.get("/councils/cookie")
async def cookie(response: Response) -> dict[str, bool]:
    response.set_cookie("session", "caller-one")
    return {"set": True}
