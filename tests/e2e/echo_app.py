"""A stand-in upstream for gateway tests: echoes what it received, or is slow on purpose."""

import asyncio
import hashlib

from fastapi import FastAPI, Request, Response

app = FastAPI()


@app.api_route("/councils/echo", methods=["GET", "POST", "PUT"])
@app.api_route("/budget/echo", methods=["GET", "POST", "PUT"])
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


@app.get("/openapi.json", include_in_schema=False)
async def spec() -> dict[str, object]:
    return {"openapi": "3.1.0", "info": {"title": "echo", "version": "0"}, "paths": {}}


@app.get("/councils/cookie")
async def cookie(response: Response) -> dict[str, bool]:
    response.set_cookie("session", "caller-one")
    return {"set": True}
