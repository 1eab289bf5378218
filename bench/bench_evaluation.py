"""Evaluation comparison through the gateway: a cycle of 25 targets × 30 indicators × 10 raters.

    .venv/bin/python bench/bench_evaluation.py                 # embedded PostgreSQL under .data/pg-bench-eval
    .venv/bin/python bench/bench_evaluation.py --database-url postgresql://postgres@127.0.0.1:5432/seoul_bench_eval
    .venv/bin/python bench/bench_evaluation.py --requests 10 --no-write     # a quick look

A seeded generator writes one cycle straight into the evaluation schema with SQL (the API would take minutes
to build it; every trigger still checks every row): 25 round-1 targets, 20 common indicators of 3 points and
10 specific ones of 4 per target (half quantitative, half on a 5-level rubric with N/A), 6 officials and 4
experts, every rater's submitted sheet of every target (7,500 scores) and each agency's self-evaluation.
Then the evaluation service and the gateway run as one uvicorn worker each (`--no-access-log`,
LOG_LEVEL=WARNING) and `--requests` sequential GETs (after `--warmup` ones) time, through the gateway and
directly: the cycle comparison (per-target comparison, cycle means, Krippendorff's alpha and the six ICCs of
the round), one target's scorecard and the scores CSV. The first cycle comparison is timed on its own: the
reliability is computed then and kept by its exact input (an LRU of 16). A comparison of unchanged data is
answered from the answers kept by the cycle's data version (`services/evaluation/comparison/cache.py`,
migration 0009); "after a change" commits a real write of the cycle (its rubric scale's name set to itself,
which bumps the version) before each request, so the answer is computed again from the database (the
reliability still kept: its input did not change). The issue's "aggregation of a cycle" is timed twice: as
one `GET /evaluation/cycles/{id}/aggregation` (every target's points, not stored; cold after a change, and
warm), and as every target's result computed, one `POST …/result` each. Goal: under 100 ms through the
gateway. Writes bench/RESULTS_evaluation.md.
"""

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Processes, free_port  # noqa: E402
from bench.results_file import write_section  # noqa: E402
from ops.devdb import EmbeddedPostgres, ensure_database  # noqa: E402
from ops.migrate import migrate_all  # noqa: E402
from shared.auth import mint_token  # noqa: E402
from shared.settings import CommonSettings  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS_evaluation.md"
TARGETS, COMMON, SPECIFIC, OFFICIALS, EXPERTS = 25, 20, 10, 6, 4
COMMON_WEIGHT, SPECIFIC_WEIGHT = 3, 4  # 20 × 3 + 10 × 4 = 100
LEVELS = [("매우 우수", 5), ("우수", 4), ("보통", 3), ("미흡", 2), ("매우 미흡", 1)]


async def seed(url: str, seed_value: int) -> int:
    """Write the cycle; returns its id. Scores lean on a per-target quality so that raters broadly agree."""
    rng = random.Random(seed_value)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('evaluation.actor', 'bench', true)")
            cycle = await conn.fetchval(
                "INSERT INTO evaluation.cycles (programme, name_ko, year, created_by)"
                " VALUES ('civic_platform', '벤치마크 성과평가', 2099, 'bench') RETURNING id"
            )
            rubric = await conn.fetchval(
                "INSERT INTO evaluation.rubric_scales (cycle_id, name_ko, created_by)"
                " VALUES ($1, '5단계', 'bench') RETURNING id",
                cycle,
            )
            level_ids = []
            for position, (label, value) in enumerate([*LEVELS, ("해당 없음", None)], start=1):
                level_ids.append(
                    await conn.fetchval(
                        "INSERT INTO evaluation.rubric_levels"
                        " (scale_id, position, label_ko, value, not_applicable)"
                        " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                        rubric,
                        position,
                        label,
                        value,
                        value is None,
                    )
                )
            targets = [
                await conn.fetchval(
                    "INSERT INTO evaluation.targets"
                    " (cycle_id, organization_id, district_code, round, created_by)"
                    " VALUES ($1, $2, '11380', 1, 'bench') RETURNING id",
                    cycle,
                    100 + number,
                )
                for number in range(TARGETS)
            ]

            async def indicator(target_id: int | None, number: int, weight: int) -> tuple[int, bool, int]:
                qualitative = number % 2 == 1
                row = await conn.fetchval(
                    "INSERT INTO evaluation.indicators (cycle_id, target_id, name_ko, measure, ascending,"
                    " weight, baseline, target_value, rubric_id, created_by)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
                    " 'bench') RETURNING id",
                    cycle,
                    target_id,
                    f"지표 {number}",
                    "qualitative" if qualitative else "unit",
                    None if qualitative else True,
                    weight,
                    None if qualitative else 0,
                    None if qualitative else 10,
                    rubric if qualitative else None,
                )
                return row, qualitative, weight

            common = [await indicator(None, number, COMMON_WEIGHT) for number in range(COMMON)]
            members = []
            for number in range(OFFICIALS + EXPERTS):
                kind = "official" if number < OFFICIALS else "expert"
                members.append(
                    await conn.fetchval(
                        "INSERT INTO evaluation.panel_members (cycle_id, round, subject, name_ko, rater_type,"
                        " created_by) VALUES ($1, 1, $2, $3, $4, 'bench') RETURNING id",
                        cycle,
                        f"rater-{number}",
                        f"평가위원 {number}",
                        kind,
                    )
                )
            scores, self_scores = [], []
            for target_id in targets:
                specific = [await indicator(target_id, number, SPECIFIC_WEIGHT) for number in range(SPECIFIC)]
                quality = rng.uniform(0.4, 0.95)
                for indicator_id, qualitative, weight in common + specific:
                    for member in members:
                        share = min(1.0, max(0.0, rng.gauss(quality, 0.12)))
                        if qualitative:
                            level = 5 if rng.random() < 0.02 else 4 - round(share * 4)  # index; 5 is N/A
                            scores.append((target_id, indicator_id, member, None, level_ids[level]))
                        else:
                            scores.append((target_id, indicator_id, member, round(share * weight, 1), None))
                    own = min(1.0, max(0.0, rng.gauss(quality - 0.1, 0.1)))  # seed 001: agencies rate lower
                    if qualitative:
                        self_scores.append((target_id, indicator_id, None, level_ids[4 - round(own * 4)]))
                    else:
                        self_scores.append((target_id, indicator_id, round(own * 10, 1), None))
            await conn.executemany(
                "INSERT INTO evaluation.scores (target_id, indicator_id, panel_member_id, version, points,"
                " rubric_level_id, status, submitted_at) VALUES ($1, $2, $3, 1, $4, $5, 'submitted', now())",
                scores,
            )
            await conn.executemany(
                "INSERT INTO evaluation.self_scores"
                " (target_id, indicator_id, value, rubric_level_id, recorded_by)"
                " VALUES ($1, $2, $3, $4, 'bench')",
                self_scores,
            )
            # Opened as the API would (the trigger re-checks the weights), so that results can be computed.
            await conn.execute(
                "UPDATE evaluation.targets SET opened_at = now(), opened_by = 'bench' WHERE cycle_id = $1",
                cycle,
            )
        # What autovacuum would do soon after a bulk load: without statistics the planner expects one row.
        for table in ("targets", "indicators", "rubric_levels", "panel_members", "scores", "self_scores"):
            await conn.execute(f"ANALYZE evaluation.{table}")
        return int(cycle)
    finally:
        await conn.close()


async def timed(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], warmup: int, n: int
) -> list[float]:
    for _ in range(warmup):
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:300]}"
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = await client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
    return times


async def timed_after_a_change(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], database_url: str, cycle_id: int, n: int
) -> list[float]:
    """Each request after a committed change of the cycle (its data version bumped), so the kept answer no
    longer applies and the answer is computed from the database again."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    times = []
    try:
        for _ in range(n):
            await conn.execute(
                "UPDATE evaluation.rubric_scales SET name_ko = name_ko WHERE cycle_id = $1", cycle_id
            )
            started = time.perf_counter()
            response = await client.get(url, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text[:300]
    finally:
        await conn.close()
    return times


async def cycle_results(
    client: httpx.AsyncClient, gateway: str, target_ids: list[int], headers: dict[str, str], n: int
) -> tuple[list[float], list[float]]:
    """The issue's "aggregation of a cycle": every target's result computed (drafts, recomputed at will),
    one POST per target as the API offers it; returns the cycle's totals and the single requests' times."""
    cycles, singles = [], []
    for _ in range(n):
        started = time.perf_counter()
        for target_id in target_ids:
            one = time.perf_counter()
            response = await client.post(f"{gateway}/evaluation/targets/{target_id}/result", headers=headers)
            singles.append((time.perf_counter() - one) * 1000)
            assert response.status_code == 200, response.text[:300]
        cycles.append((time.perf_counter() - started) * 1000)
    return cycles, singles


async def measure(
    gateway: str, service: str, cycle_id: int, warmup: int, n: int, database_url: str
) -> list[tuple[str, list[float]]]:
    token = mint_token(CommonSettings(), subject="bench", role="city_officer")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=120) as client:
        url = f"{gateway}/evaluation/cycles/{cycle_id}/comparison"
        deadline = time.monotonic() + 60
        while True:  # the gateway learns the service's paths from its OpenAPI shortly after both start
            started = time.perf_counter()
            response = await client.get(url, headers=headers)
            first_ms = (time.perf_counter() - started) * 1000
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:500]}"
        first = response.json()
        target_id = first["targets"][0]["target_id"]
        assert len(first["targets"]) == TARGETS, first
        reliability = first["reliability"][0]
        print(
            f"alpha {reliability['alpha_interval']:.3f}, ICC(A,1) "
            f"{next(i['value'] for i in reliability['icc'] if i['type'] == 'ICC(A,1)'):.3f} over "
            f"{reliability['icc_units']} complete units; self lowest: {first['self_lowest']}",
            flush=True,
        )
        rows = [("gateway: cycle comparison, first request (reliability computed, then kept)", [first_ms])]
        comparison = f"{gateway}/evaluation/cycles/{cycle_id}/comparison"
        after_change = await timed_after_a_change(client, comparison, headers, database_url, cycle_id, n)
        rows.append(("gateway: cycle comparison after a change (answer recomputed)", after_change))
        aggregation = f"/evaluation/cycles/{cycle_id}/aggregation"
        cold = await timed_after_a_change(client, gateway + aggregation, headers, database_url, cycle_id, n)
        rows.append(("gateway: cycle aggregation (GET …/aggregation), after a change", cold))
        rows.append(
            (
                "gateway: cycle aggregation, data unchanged (kept answer)",
                await timed(client, gateway + aggregation, headers, warmup, n),
            )
        )
        rows.append(
            (
                "direct: cycle aggregation, after a change",
                await timed_after_a_change(client, service + aggregation, headers, database_url, cycle_id, n),
            )
        )
        target_ids = [row["target_id"] for row in first["targets"]]
        cycles, singles = await cycle_results(client, gateway, target_ids, headers, max(3, n // 5))
        rows.append((f"gateway: the cycle's {len(target_ids)} results computed (sequential POSTs)", cycles))
        rows.append(("gateway: one target's result computed (POST …/result)", singles))
        for label, base in (("gateway", gateway), ("direct", service)):
            for what, path in (
                (
                    "cycle comparison, data unchanged (kept answer)",
                    f"/evaluation/cycles/{cycle_id}/comparison",
                ),
                ("cycle comparison, round 1", f"/evaluation/cycles/{cycle_id}/comparison?round=1"),
                ("one target's scorecard", f"/evaluation/targets/{target_id}/scorecard"),
                ("scores CSV (7,500 rows)", f"/evaluation/cycles/{cycle_id}/exports/scores.csv"),
            ):
                if label == "direct" and not what.startswith("cycle comparison, data"):
                    continue
                rows.append((f"{label}: {what}", await timed(client, base + path, headers, warmup, n)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    embedded = None
    admin_url = args.database_url
    if admin_url is None:
        embedded = EmbeddedPostgres(ROOT / ".data" / "pg-bench-eval", free_port())
        if embedded.is_running():
            embedded.stop()
        embedded.start()
        admin_url = embedded.admin_url("seoul_bench_eval")
    processes = Processes(Path(tempfile.mkdtemp(prefix="bench-eval-")))
    try:
        asyncio.run(ensure_database(admin_url, recreate=True))
        url = migrate_all(admin_url, ("evaluation",))["evaluation"]
        started = time.perf_counter()
        cycle_id = asyncio.run(seed(url, args.seed))
        print(f"seeded cycle {cycle_id} in {time.perf_counter() - started:.1f} s", flush=True)
        env = {**os.environ, "APP_ENV": "dev", "LOG_LEVEL": "WARNING", "EVALUATION_DATABASE_URL": url}
        service = processes.uvicorn("evaluation", "services.evaluation.main:create_app", free_port(), env)
        processes.wait_ok("evaluation", f"{service}/readyz")
        unused = {name: f"http://127.0.0.1:{free_port()}" for name in ("COUNCILS", "BUDGET")}
        gateway_env = {**env, "GATEWAY_EVALUATION_URL": service}
        gateway_env |= {f"GATEWAY_{name}_URL": address for name, address in unused.items()}
        gateway = processes.uvicorn("gateway", "gateway.main:create_app", free_port(), gateway_env)
        processes.wait_ok("gateway", f"{gateway}/livez")
        load_before = os.getloadavg()[0]
        rows = asyncio.run(measure(gateway, service, cycle_id, args.warmup, args.requests, url))
    finally:
        processes.stop_all()
        if embedded is not None:
            embedded.stop()
    lines = ["| what | p50 ms | p90 ms | min ms | max ms |", "|---|--:|--:|--:|--:|"]
    for label, times in rows:
        ordered = sorted(times)
        p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
        lines.append(
            f"| {label} | {statistics.median(ordered):.1f} | {p90:.1f} | {ordered[0]:.1f}"
            f" | {ordered[-1]:.1f} |"
        )
    text = (
        f"## Evaluation comparison\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {load_before:.1f} at start; `bench/bench_evaluation.py`: "
        f"{TARGETS} targets × {COMMON + SPECIFIC} indicators × {OFFICIALS + EXPERTS} raters "
        f"({TARGETS * (COMMON + SPECIFIC) * (OFFICIALS + EXPERTS):,} submitted scores), seed {args.seed}; "
        f"{args.requests} sequential requests after {args.warmup} warm-up ones, "
        "one uvicorn worker per process, "
        "client on the same machine. Goal: the cycle comparison under 100 ms through the gateway.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    print(text)
    if not args.no_write:
        write_section("evaluation-comparison", text, RESULTS)


if __name__ == "__main__":
    main()
