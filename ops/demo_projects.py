"""`make demo`, budget after the vote: seed 001's expense sheet as a funded project's expenditures.

Through the public API, as the roles that do each step: a city officer opens a cycle and an envelope,
runs a one-project vote, publishes it and creates the funded project (1,456,200 KRW, the sheet's total);
the district's officer starts it and records the four itemised expenses of seed 001
(../shared/data/seoul_2017/expenses.csv); the public summary must then show 1,456,200 KRW spent. The
workshop was the city's; the demo books it in 종로구 (11110) because a funded project belongs to a
district. Idempotent: run again, it finds the project and records only what is missing.
"""

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ops.demo_http import items, ok, role_client
from shared.auth import Role

SEED_001_EVENT = "2018-09-19 civic platform joint workshop"
SEED_001_TOTAL = 1_456_200
TITLE = "시민협력플랫폼 지원단 3차 회의(통합워크숍)"
DISTRICT = "11110"


@dataclass
class ProjectsDemo:
    project_id: int
    spent_krw: int
    created: int


def _shared_dir() -> Path:
    return Path(__file__).resolve().parents[1].parent / "shared"


def seed_001_rows(base: Path | None = None) -> list[dict[str, str]]:
    path = (base or _shared_dir()) / "data" / "seoul_2017" / "expenses.csv"
    with path.open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["event"] == SEED_001_EVENT]


def _find(client: httpx.Client) -> dict[str, Any] | None:
    projects = items(client, "/budget/projects", district_code=DISTRICT)
    return next((dict(project) for project in projects if project["title_ko"] == TITLE), None)


def _create(city: httpx.Client, citizen: httpx.Client, officer: httpx.Client) -> dict[str, Any]:
    cycle = ok(
        city.post(
            "/budget/cycles", json={"name_ko": "2018년 시민협력플랫폼 지원 (demo)", "fiscal_year": 2018}
        )
    )
    envelope = ok(
        city.post(
            f"/budget/cycles/{cycle['id']}/envelopes",
            json={"district_code": DISTRICT, "track": "governance", "amount_krw": SEED_001_TOTAL},
        )
    )
    now = datetime.now(UTC)
    election = ok(
        city.post(
            "/budget/elections",
            json={
                "name_ko": "시민협력플랫폼 지원단 통합워크숍 (demo)",
                "envelope_id": envelope["id"],
                "projects": [{"project_id": "W", "name": TITLE, "cost_krw": SEED_001_TOTAL}],
                "opens_at": (now - timedelta(minutes=5)).isoformat(),
                "closes_at": (now + timedelta(hours=1)).isoformat(),
            },
        )
    )
    eid = election["id"]
    ok(citizen.put(f"/budget/elections/{eid}/ballot", json={"project_ids": ["W"]}))
    ok(city.post(f"/budget/elections/{eid}/close"))
    ok(city.post(f"/budget/elections/{eid}/publish"))
    project = ok(city.post(f"/budget/elections/{eid}/projects", json={}))["items"][0]
    ok(officer.post(f"/budget/projects/{project['id']}/status", json={"status": "in_progress"}))
    return dict(project)


def record_expenditures(
    officer: httpx.Client, project_id: int, line_id: int, rows: list[dict[str, str]], *, payee: str
) -> int:
    """Record each expenses.csv-style row not yet on the project; return how many were recorded."""
    recorded = {e["item_ko"] for e in ok(officer.get(f"/budget/projects/{project_id}/expenditures"))["items"]}
    created = 0
    for row in rows:
        if row["item"] in recorded:
            continue
        body = {
            "line_id": line_id,
            "account_code": row["account_code"],
            "event_ko": row["event"],
            "item_ko": row["item"],
            "unit_price_krw": int(row["unit_price_krw"]),
            "quantity": int(row["quantity"]),
            "amount_krw": int(row["amount_krw"]),
            "spent_on": row.get("spent_on") or row["event"][:10],
            "payee": payee,
            "receipt_ref": row.get("receipt_ref") or "지역공동체담당관-10434",
        }
        ok(officer.post(f"/budget/projects/{project_id}/expenditures", json=body))
        created += 1
    return created


def load_projects(base_url: str, base: Path | None = None) -> ProjectsDemo:
    """Load seed 001 as a funded project's expenditures; return what the public summary says."""
    rows = seed_001_rows(base)
    with (
        role_client(base_url, Role.city_officer, "ops-demo") as city,
        role_client(base_url, Role.citizen, "ops-demo-citizen") as citizen,
        role_client(base_url, Role.district_officer, "ops-demo-jongno", DISTRICT) as officer,
    ):
        project = _find(city) or _create(city, citizen, officer)
        pid = project["id"]
        line_id = ok(city.get(f"/budget/projects/{pid}"))["lines"][0]["id"]
        created = record_expenditures(officer, pid, line_id, rows, payee="DDP (동대문디자인플라자)")
        summary = ok(httpx.get(f"{base_url}/budget/projects/{pid}/summary", timeout=30))
    return ProjectsDemo(project_id=pid, spent_krw=summary["spent_krw"], created=created)


def run(base_url: str) -> None:
    """The `make demo` step: load, print, and fail loudly unless the sheet totals 1,456,200 KRW."""
    result = load_projects(base_url)
    print(
        f"\nSeed 001 expense sheet: project {result.project_id}, {result.spent_krw:,} KRW spent"
        f" ({result.created} expenditures recorded now)."
    )
    if result.spent_krw != SEED_001_TOTAL:
        raise SystemExit(f"MISMATCH: {result.spent_krw:,} KRW spent, the sheet totals {SEED_001_TOTAL:,}")
