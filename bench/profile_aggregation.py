"""Where a cycle aggregation's time goes: the bench's cycle, each stage timed apart, the pure part profiled.

    .venv/bin/python bench/profile_aggregation.py [--requests 20] [--top 20]

Seeds the cycle of `bench_evaluation.py` (25 targets × 30 indicators × 10 raters) into an embedded PostgreSQL
under .data/pg-profile-agg, then, in this process: the one read (`cycle_aggregation.repository.cycle_scores`),
the integer arithmetic (`compute.aggregate_cycle`, under cProfile) against the engine's per-score Fractions
on the same rows (what 25 `POST …/result` compute), the answer built and serialised, and the whole app through
an in-process ASGI client, cold (the cache cleared) and warm. Prints medians; RESULTS_evaluation.md says what
they showed.
"""

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from fractions import Fraction
from itertools import groupby
from pathlib import Path
from typing import Any

import httpx

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
    print(f"{label:<58} p50 {statistics.median(times):7.1f} ms  min {min(times):7.1f} ms", flush=True)


async def profile(url: str, cycle_id: int, n: int, top: int) -> None:
    os.environ["EVALUATION_DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from services.evaluation.aggregation.engine import (
        IndicatorScores,
        Method,
        RaterScore,
        aggregate,
        quantitative_points,
        rubric_points,
    )
    from services.evaluation.cycle_aggregation import repository, service
    from services.evaluation.cycle_aggregation.compute import aggregate_cycle
    from services.evaluation.cycle_aggregation.repository import POINTS_SCALE, VALUE_SCALE
    from services.evaluation.cycle_aggregation.schemas import CycleAggregationOut
    from services.evaluation.main import create_app
    from shared.auth import mint_token
    from shared.settings import CommonSettings, async_url

    engine = create_async_engine(async_url(url))
    sessions = async_sessionmaker(engine)

    async def reads() -> Any:
        async with sessions() as session:
            return await repository.cycle_scores(session, cycle_id=cycle_id, round=None)

    rows = await reads()
    await median_ms(f"read: cycle_scores (1 query, {len(rows):,} rows of 7,500 scores)", n, reads)

    async def integers() -> Any:
        return aggregate_cycle(rows, method=Method.trimmed_mean, min_panel_size=3)

    await median_ms("arithmetic: aggregate_cycle (integers, one mpq each)", n, integers)

    def engine_way() -> Any:
        """The engine on the same scores, a Fraction per score, as each target's result computes them."""
        totals = []
        for _, target_rows in groupby(rows, key=lambda row: row.target_id):
            items = []
            for row in target_rows:
                if row.qualitative:
                    best = Fraction(row.max_value, VALUE_SCALE)
                    points = [rubric_points(row.weight, Fraction(v, VALUE_SCALE), best) for v in row.scores]
                else:
                    points = [quantitative_points(row.weight, Fraction(v, POINTS_SCALE)) for v in row.scores]
                scores = [RaterScore(rater, value) for rater, value in enumerate(points)]
                items.append(IndicatorScores(row.indicator_id, row.weight, scores))
            totals.append(aggregate(items, Method.trimmed_mean, 3).total)
        return totals

    async def engine_async() -> Any:
        return engine_way()

    await median_ms("arithmetic: the engine on the same rows (Fractions)", n, engine_async)
    assert [
        t.total for t in aggregate_cycle(rows, method=Method.trimmed_mean, min_panel_size=3)
    ] == engine_way()

    made = aggregate_cycle(rows, method=Method.trimmed_mean, min_panel_size=3)

    async def answer() -> Any:
        return [service._out(target) for target in made]

    await median_ms("answer: exact and display text, pydantic models", n, answer)
    built = CycleAggregationOut(
        cycle_id=cycle_id,
        round=None,
        aggregation_method=Method.trimmed_mean,
        min_panel_size=3,
        targets=await answer(),
    )

    async def serialise() -> Any:
        return built.model_dump_json()

    await median_ms("answer: model_dump_json", n, serialise)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        [
            service._out(target)
            for target in aggregate_cycle(rows, method=Method.trimmed_mean, min_panel_size=3)
        ]
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)
    await engine.dispose()

    app = create_app()
    token = mint_token(CommonSettings(), subject="bench", role="city_officer")
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
    ):
        path = f"/evaluation/cycles/{cycle_id}/aggregation"

        async def cold() -> Any:
            service.ANSWERS.clear()
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, response.text[:300]

        async def warm() -> Any:
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, response.text[:300]

        await median_ms("whole app in process: GET aggregation, cache cleared", n, cold)
        await median_ms("whole app in process: GET aggregation, kept answer", n, warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    embedded = EmbeddedPostgres(ROOT / ".data" / "pg-profile-agg", free_port())
    if embedded.is_running():
        embedded.stop()
    embedded.start()
    try:
        admin_url = embedded.admin_url("seoul_profile_agg")
        asyncio.run(ensure_database(admin_url, recreate=True))
        url = migrate_all(admin_url, ("evaluation",))["evaluation"]
        cycle_id = asyncio.run(seed(url, 2017))
        asyncio.run(profile(url, cycle_id, args.requests, args.top))
    finally:
        embedded.stop()


if __name__ == "__main__":
    main()
