"""Pabulib import and outcome benchmark: bulk-import rows/s, greedy and MES with the PostgreSQL read.

    .venv/bin/python bench/bench_import.py --database-url postgresql://postgres@127.0.0.1:5432/bench_budget

The database (an administrator's URL; it is dropped and created again) is migrated like `make migrate`, then
the budget app runs in this process on a real connection pool, and each request goes through the whole ASGI
stack (routing, auth, multipart, unit of work) without a network hop. Per file: the import (POST
/budget/elections/import, multipart), then each outcome request twice — the first computes and stores the
outcome (read + digest + engine + insert), the second finds the stored record (read + digest only). The
selected projects are checked against the file's `selected` column. Prints a markdown table and writes it to
bench/RESULTS_budget.md.
"""

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results_file import write_section  # noqa: E402
from ops.devdb import ensure_database  # noqa: E402
from ops.migrate import migrate_all  # noqa: E402
from services.budget.main import create_app  # noqa: E402
from services.budget.pabulib.parser import open_pb  # noqa: E402
from services.budget.settings import BudgetSettings  # noqa: E402
from shared.auth import mint_token  # noqa: E402
from shared.db import create_engine, create_sessionmaker  # noqa: E402

SHARED = Path(os.environ.get("SEOUL_SHARED_DIR", ROOT.parent / "shared"))
PABULIB = SHARED / "data" / "pabulib"
FILES = {
    "Poland_Lodz_2022.pb": ["greedy-threshold", "greedy"],
    "Poland_Warszawa_2026.pb": ["greedy-threshold", "greedy"],
}


def expected(name: str) -> set[str]:
    with open_pb(PABULIB / name) as reader:
        return {p.id for p in reader.projects.values() if p.fields.get("selected") == "1"}


def prepare(admin_url: str) -> str:
    """Recreate and migrate the scratch database; return the budget role's URL."""
    asyncio.run(ensure_database(admin_url, recreate=True))
    return migrate_all(admin_url, ("budget",))["budget"]


async def run(budget_url: str, repeat: int, with_mes: bool) -> list[dict[str, Any]]:
    settings = BudgetSettings(database_url=budget_url, log_level="WARNING")
    app = create_app(settings)
    app.state.engine = create_engine(settings)
    app.state.sessionmaker = create_sessionmaker(app.state.engine)
    headers = {"Authorization": f"Bearer {mint_token(settings, subject='bench', role='city_officer')}"}
    rows: list[dict[str, Any]] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
        for name, rules in FILES.items():
            content = (PABULIB / name).read_bytes()
            timings, election = [], None
            for _ in range(repeat):
                started = time.perf_counter()
                response = await client.post(
                    "/budget/elections/import",
                    files={"file": (name, content, "text/plain")},
                    data={"published": "true"},
                    headers=headers,
                )
                timings.append(time.perf_counter() - started)
                assert response.status_code == 201, response.text
                election = response.json()
            assert election is not None
            best = min(timings)
            rows.append(
                {
                    "what": f"import {name}",
                    "n": election["n_ballots"],
                    "seconds": best,
                    "median": statistics.median(timings),
                    "rate": f"{election['n_ballots'] / best:,.0f} ballots/s "
                    f"({len(content) / best / 2**20:.1f} MiB/s)",
                    "check": f"{election['n_projects']} projects",
                }
            )
            for rule in rules + (["mes-add1"] if with_mes else []):
                for attempt in ("computed", "stored"):
                    started = time.perf_counter()
                    # Other rules than the published one are for result readers (city officers, ...).
                    response = await client.get(
                        f"/budget/elections/{election['id']}/outcome", params={"rule": rule}, headers=headers
                    )
                    elapsed = time.perf_counter() - started
                    assert response.status_code == 200, response.text
                    outcome = response.json()
                    match = set(outcome["selected"]) == expected(name)
                    note = "" if rule == rules[0] else f" (the file's rule is {rules[0]})"
                    rows.append(
                        {
                            "what": f"outcome {rule} ({attempt}) {name}",
                            "n": outcome["n_ballots"],
                            "seconds": elapsed,
                            "median": elapsed,
                            "rate": f"{len(outcome['selected'])} selected",
                            "check": ("= file's selected" if match else "≠ file's selected") + note,
                        }
                    )
    await app.state.engine.dispose()
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| what | ballots | best s | median s | rate | check |", "|---|---:|---:|---:|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['what']} | {row['n']:,} | {row['seconds']:.3f} | {row['median']:.3f} "
            f"| {row['rate']} | {row['check']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), required=False)
    parser.add_argument("--repeat", type=int, default=3, help="imports per file (the best is reported)")
    parser.add_argument("--skip-mes", action="store_true", help="do not time mes-add1")
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit(
            "--database-url (or BENCH_DATABASE_URL): an administrator's URL of a scratch database"
        )
    rows = asyncio.run(run(prepare(args.database_url), args.repeat, not args.skip_mes))
    text = (
        f"## Pabulib import and outcomes\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; "
        "`bench/bench_import.py` (in-process ASGI, real PostgreSQL).\n\n" + table(rows) + "\n"
    )
    print(text)
    write_section("import", text)


if __name__ == "__main__":
    main()
