"""The raw ceiling: a minimal FastAPI + raw asyncpg app (one pool), served by uvicorn like the services.

    RAW_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/seoul_bench \\
        .venv/bin/python -m uvicorn --factory --app-dir bench raw_app:create_app --port 8100

It does what the hot paths must do and nothing else (no auth, no middleware, no rules):
* `PUT /raw/elections/{id}/ballot`: a ballot-shaped upsert into its own table (same columns as
  budget.ballots, unique (election, voter hash), ON CONFLICT update with the revision bumped), the voter hash
  an HMAC of the bearer token;
* `GET /raw/districts/{code}`: a primary-key read of a district-shaped row.
Its tables live in the schema `raw_ceiling` of the given database, created on start-up.
"""

import hashlib
import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Header, HTTPException, Request
from pydantic import BaseModel

SECRET = b"raw-ceiling-bench"
SCHEMA = """
CREATE SCHEMA IF NOT EXISTS raw_ceiling;
CREATE TABLE IF NOT EXISTS raw_ceiling.ballots (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    election_id integer NOT NULL,
    voter_hash bytea NOT NULL CHECK (octet_length(voter_hash) = 32),
    voter_group text NOT NULL,
    project_ids text[] NOT NULL,
    points numeric[],
    cast_at timestamptz NOT NULL DEFAULT now(),
    revision integer NOT NULL DEFAULT 1,
    UNIQUE (election_id, voter_hash)
);
CREATE TABLE IF NOT EXISTS raw_ceiling.districts (
    code text PRIMARY KEY,
    name_ko text NOT NULL,
    name_en text NOT NULL,
    region_group text NOT NULL
);
INSERT INTO raw_ceiling.districts VALUES ('11110', '종로구', 'Jongno-gu', 'downtown')
ON CONFLICT (code) DO NOTHING;
"""
UPSERT = """
INSERT INTO raw_ceiling.ballots (election_id, voter_hash, voter_group, project_ids)
VALUES ($1, $2, 'all', $3)
ON CONFLICT (election_id, voter_hash) DO UPDATE
SET project_ids = EXCLUDED.project_ids, cast_at = now(), revision = raw_ceiling.ballots.revision + 1
RETURNING voter_group, project_ids, cast_at, revision
"""
DISTRICT = "SELECT code, name_ko, name_en, region_group FROM raw_ceiling.districts WHERE code = $1"


class RawBallot(BaseModel):
    project_ids: list[str]


def create_app() -> FastAPI:
    url = os.environ["RAW_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    size = int(os.environ.get("RAW_POOL_SIZE", "20"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = {"application_name": "raw"}  # bench_ceiling finds its backends by it
        async with asyncpg.create_pool(url, min_size=size, max_size=size, server_settings=settings) as pool:
            async with pool.acquire() as connection:
                await connection.execute(SCHEMA)
            app.state.pool = pool
            yield

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.put("/raw/elections/{election_id}/ballot")
    async def cast(
        election_id: int, body: RawBallot, request: Request, authorization: str = Header()
    ) -> dict[str, Any]:
        hashed = hmac.new(SECRET, f"{election_id}:{authorization}".encode(), hashlib.sha256).digest()
        row = await request.app.state.pool.fetchrow(UPSERT, election_id, hashed, body.project_ids)
        return {"election_id": election_id, **dict(row)}

    @app.get("/raw/districts/{code}")
    async def district(code: str, request: Request) -> dict[str, Any]:
        row = await request.app.state.pool.fetchrow(DISTRICT, code)
        if row is None:
            raise HTTPException(404)
        return dict(row)

    return app
