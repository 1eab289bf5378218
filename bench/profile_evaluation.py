"""Where the cycle comparison's time goes: the bench's cycle, each stage timed apart, the pure part profiled.

    .venv/bin/python bench/profile_evaluation.py [--requests 20] [--top 25]

Seeds the cycle of `bench_evaluation.py` (25 targets × 30 indicators × 10 raters) into an embedded PostgreSQL
under .data/pg-profile-eval, then, in this process: the reads (`comparison.repository.cycle_data`), the pure
build (`build.cycle_comparison`, under cProfile), the JSON serialisation of the answer, and the whole app
through an in-process ASGI client (no sockets, no gateway). Prints medians; PROFILE_evaluation.md says what
they showed.
"""

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from gmpy2 import mpq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_evaluation import seed  # noqa: E402
from bench.bench_gateway import free_port  # noqa: E402
from ops.devdb import EmbeddedPostgres, ensure_database  # noqa: E402
from ops.migrate import migrate_all  # noqa: E402


async def median_ms(label: str, n: int, step: Callable[[], Awaitable[Any]]) -> None:
    await step()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        await step()
        times.append((time.perf_counter() - started) * 1000)
    print(f"{label:<48} p50 {statistics.median(times):7.1f} ms  min {min(times):7.1f} ms", flush=True)


async def profile(url: str, cycle_id: int, n: int, top: int) -> None:
    import os

    os.environ["EVALUATION_DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

    from services.evaluation.aggregation.arithmetic import shown
    from services.evaluation.aggregation.engine import Method
    from services.evaluation.comparison import repository
    from services.evaluation.comparison.build import CycleData, cycle_comparison
    from services.evaluation.main import create_app
    from services.evaluation.results import repository as results_repository
    from services.evaluation.results.compute import compute
    from shared.auth import mint_token
    from shared.settings import CommonSettings, async_url

    engine = create_async_engine(async_url(url))
    sessions = async_sessionmaker(engine)

    async def reads() -> Any:
        async with sessions() as session:
            return await repository.cycle_data(session, cycle_id=cycle_id)

    rows = await reads()
    await median_ms("reads: cycle_data (5 queries, 7,500 counted rows)", n, reads)

    async def build() -> Any:
        return cycle_comparison(CycleData(*rows), cycle_id=cycle_id, round=None)

    answer = await build()
    from fractions import Fraction

    from services.evaluation.comparison import build as build_module

    async def index() -> Any:
        return CycleData(*rows)

    data = await index()
    await median_ms("build, part 1: CycleData (grouping the rows)", n, index)

    async def compare_only() -> Any:
        return cycle_comparison(data, cycle_id=cycle_id, round=None)

    await median_ms("build, part 2: cycle_comparison", n, compare_only)
    from services.evaluation.comparison.build import _compare

    async def arithmetic_only() -> Any:
        return [_compare(data, target) for target in data.targets]

    await median_ms("build, part 2a: the 25 targets' arithmetic", n, arithmetic_only)
    for _ in range(2):  # interleaved, so that both see the same load
        build_module.Q = Fraction
        await median_ms("build with fractions.Fraction (the reference)", n, build)
        build_module.Q = mpq
        await median_ms("build with gmpy2.mpq (the service)", n, build)

    async def serialise() -> Any:
        return answer.model_dump_json()

    await median_ms("serialise: model_dump_json", n, serialise)

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        cycle_comparison(CycleData(*rows), cycle_id=cycle_id, round=None)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
    await engine.dispose()

    app = create_app()
    token = mint_token(CommonSettings(), subject="bench", role="city_officer")
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
    ):

        async def whole() -> Any:
            response = await client.get(f"/evaluation/cycles/{cycle_id}/comparison", headers=headers)
            assert response.status_code == 200, response.text[:300]

        await median_ms("whole app in process: GET cycle comparison (kept)", n, whole)
        target_id = (await client.get(f"/evaluation/cycles/{cycle_id}/targets", headers=headers)).json()[
            "items"
        ][0]["id"]

        async def result() -> Any:
            response = await client.post(f"/evaluation/targets/{target_id}/result", headers=headers)
            assert response.status_code == 200, response.text[:300]

        await median_ms("whole app in process: POST one target's result", n, result)

    engine = create_async_engine(async_url(url))
    async with engine.connect() as conn:
        rows = await results_repository.scores(
            AsyncSession(bind=conn), cycle_id=cycle_id, target_id=target_id, version=1
        )

        async def arithmetic() -> Any:
            return shown(compute(rows, method=Method.trimmed_mean, min_panel_size=3))

        await median_ms("results: compute + shown (pure, 300 scores)", n, arithmetic)
        size = await conn.scalar(text("SELECT pg_column_size(arithmetic) FROM evaluation.results LIMIT 1"))
        print(f"stored arithmetic of one result: {size:,} bytes (JSONB); the history keeps before and after")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    embedded = EmbeddedPostgres(ROOT / ".data" / "pg-profile-eval", free_port())
    if embedded.is_running():
        embedded.stop()
    embedded.start()
    try:
        admin_url = embedded.admin_url("seoul_profile_eval")
        asyncio.run(ensure_database(admin_url, recreate=True))
        url = migrate_all(admin_url, ("evaluation",))["evaluation"]
        cycle_id = asyncio.run(seed(url, 2017))
        asyncio.run(profile(url, cycle_id, args.requests, args.top))
    finally:
        embedded.stop()


if __name__ == "__main__":
    main()
