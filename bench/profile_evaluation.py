"""Where the evaluation's cycle-wide reads spend their time: the bench's cycle, stages timed apart, pure parts
profiled.

    .venv/bin/python bench/profile_evaluation.py comparison [--requests 20] [--top 25]
    .venv/bin/python bench/profile_evaluation.py aggregation [--requests 20] [--top 20]

Seeds the cycle of `bench_evaluation.py` (25 targets × 30 indicators × 10 raters) into an embedded PostgreSQL
under .data/pg-profile-eval, then, in this process:

* `comparison` (`GET /evaluation/cycles/{id}/comparison`): the reads (`comparison.repository.cycle_data`), the
  pure build (`build.cycle_comparison`, under cProfile, with `fractions.Fraction` and `gmpy2.mpq`), the JSON
  serialisation of the answer, the whole app through an in-process ASGI client (no sockets, no gateway), and
  one target's `POST …/result`. PROFILE_evaluation.md says what they showed.
* `aggregation` (`GET /evaluation/cycles/{id}/aggregation`): the one read
  (`cycle_aggregation.repository.cycle_scores`), the integer arithmetic (`compute.aggregate_cycle`, under
  cProfile) against the engine's per-score Fractions on the same rows (what 25 `POST …/result` compute), the
  answer built and serialised, and the whole app in process, cold (the cache cleared) and warm.
  RESULTS_evaluation.md says what they showed.

Prints medians.
"""

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from fractions import Fraction
from itertools import groupby
from pathlib import Path
from typing import Any

import httpx
from gmpy2 import mpq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_evaluation import seed  # noqa: E402
from bench.harness import free_port  # noqa: E402
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


@asynccontextmanager
async def in_process_app() -> AsyncIterator[httpx.AsyncClient]:
    """The evaluation app, started, through an in-process ASGI client (no sockets, no gateway), as a city
    officer."""
    from services.evaluation.main import create_app
    from shared.auth import mint_token
    from shared.settings import CommonSettings

    app = create_app()
    token = mint_token(CommonSettings(), subject="bench", role="city_officer")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            headers={"Authorization": f"Bearer {token}"},
        ) as client,
    ):
        yield client


async def comparison(url: str, cycle_id: int, n: int, top: int) -> None:
    """GET …/comparison: the reads, the pure build (cProfile), serialisation, the whole app; one result."""
    os.environ["EVALUATION_DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

    from services.evaluation.aggregation.arithmetic import shown
    from services.evaluation.aggregation.engine import Method
    from services.evaluation.comparison import repository
    from services.evaluation.comparison.build import CycleData, cycle_comparison
    from services.evaluation.results import repository as results_repository
    from services.evaluation.results.compute import compute
    from shared.settings import async_url

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

    async with in_process_app() as client:

        async def whole() -> Any:
            response = await client.get(f"/evaluation/cycles/{cycle_id}/comparison")
            assert response.status_code == 200, response.text[:300]

        await median_ms("whole app in process: GET cycle comparison (kept)", n, whole)
        target_id = (await client.get(f"/evaluation/cycles/{cycle_id}/targets")).json()["items"][0]["id"]

        async def result() -> Any:
            response = await client.post(f"/evaluation/targets/{target_id}/result")
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


async def aggregation(url: str, cycle_id: int, n: int, top: int) -> None:
    """GET …/aggregation: the one read, the integer arithmetic (cProfile) against the engine's, the answer,
    the whole app cold and warm."""
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
    from shared.settings import async_url

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

    async with in_process_app() as client:
        path = f"/evaluation/cycles/{cycle_id}/aggregation"

        async def cold() -> Any:
            service.ANSWERS.clear()
            response = await client.get(path)
            assert response.status_code == 200, response.text[:300]

        async def warm() -> Any:
            response = await client.get(path)
            assert response.status_code == 200, response.text[:300]

        await median_ms("whole app in process: GET aggregation, cache cleared", n, cold)
        await median_ms("whole app in process: GET aggregation, kept answer", n, warm)


PROFILES = {"comparison": (comparison, 25), "aggregation": (aggregation, 20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("read", choices=PROFILES, help="which cycle-wide read to profile")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--top", type=int, help="rows of the cProfile table (25 comparison, 20 aggregation)")
    args = parser.parse_args()
    profile, top = PROFILES[args.read]
    embedded = EmbeddedPostgres(ROOT / ".data" / "pg-profile-eval", free_port())
    if embedded.is_running():
        embedded.stop()
    embedded.start()
    try:
        admin_url = embedded.admin_url("seoul_profile_eval")
        asyncio.run(ensure_database(admin_url, recreate=True))
        url = migrate_all(admin_url, ("evaluation",))["evaluation"]
        cycle_id = asyncio.run(seed(url, 2017))
        asyncio.run(profile(url, cycle_id, args.requests, args.top or top))
    finally:
        embedded.stop()


if __name__ == "__main__":
    main()
