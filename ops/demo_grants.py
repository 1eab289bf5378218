"""`make demo`, the money part: the 2017 programme budget and the 2017 grant policies, through the API.

The programme budget (../shared/data/seoul_2017/programme_budget_2017.csv) is in thousand KRW; the API holds
whole KRW, so every amount is multiplied by 1,000 on the way in and divided on the way back for the check.
Idempotent: what is already recorded is read, not written again.
"""

import csv
from pathlib import Path
from typing import Any

import httpx

PROGRAMME_SOURCE = (
    "seed 003 (2017-02-22) <붙임2> ’17년도 협치사업예산 (단위: 천원);"
    " data/seoul_2017/programme_budget_2017.csv"
)
YEAR = 2017
M = 1_000_000
# seed 003: planning (수립) grants up to 1억, applications until 2017-07-31; execution (실행)
# 3억 − the planning grant paid, applications until the end of June; platforms up to 1억 a year
# for 3 years, new districts chosen 2017-02 to 08. The seeds give no 구비 ratio (seed 000 debates
# it) nor increase/reduce steps: the demo sets 0 % and the example steps +10 % / −20 %, for a
# city officer to correct.
POLICIES: dict[str, dict[str, Any]] = {
    "innovation_plan": {
        "planning_max_krw": 100 * M,
        "plan_total_krw": 300 * M,
        "min_district_share_bp": 0,
        "phases": [
            {"phase": "planning", "application_deadline": "2017-07-31"},
            {"phase": "execution", "application_deadline": "2017-06-30"},
        ],
        "source": "seed 003 (2017-02-22), 지역사회혁신계획 수립・실행 지원",
    },
    "civic_platform": {
        "yearly_max_krw": 100 * M,
        "max_years": 3,
        "increase_percent": 10,
        "reduce_percent": 20,
        "min_district_share_bp": 0,
        "phases": [
            {"phase": "operation", "applications_open_on": "2017-02-01", "application_deadline": "2017-08-31"}
        ],
        "source": "seed 003 (2017-02-22), 시민협력플랫폼 구축・운영 지원; increase/reduce steps are examples",
    },
}


def programme_rows(base: Path) -> list[dict[str, str]]:
    with (base / "data" / "seoul_2017" / "programme_budget_2017.csv").open(
        encoding="utf-8-sig", newline=""
    ) as f:
        return list(csv.DictReader(f))


def load_grants(base_url: str, headers: dict[str, str], base: Path) -> None:
    """Load the 2017 programme budget and grant policies, then check every subtotal against the CSV."""
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        load_programme(client, base)


def load_programme(client: httpx.Client, base: Path) -> None:
    rows = programme_rows(base)
    url = f"/budget/programme/{YEAR}"
    if client.get(url).status_code == 404:
        nodes = [
            {
                "code": row["id"],
                "parent_code": row["parent_id"] or None,
                "name_ko": row["name"],
                "amount_krw": int(row["amount_thousand_krw"]) * 1000,
            }
            for row in rows
        ]
        response = client.post(url, json={"nodes": nodes, "source": PROGRAMME_SOURCE})
        if response.status_code != 201:
            raise RuntimeError(f"POST {url}: {response.status_code} {response.text}")
    for kind, policy in POLICIES.items():
        if client.get(f"/budget/grant-policies/{YEAR}/{kind}").status_code == 404:
            response = client.put(f"/budget/grant-policies/{YEAR}/{kind}", json=policy)
            if response.status_code != 200:
                raise RuntimeError(f"PUT grant policy {kind}: {response.status_code} {response.text}")
    tree = client.get(url).json()
    amounts = {node["code"]: node["amount_krw"] for node in tree["nodes"]}
    print(f"\n{YEAR} 협치사업예산 (API에서 읽음, 천원)")
    for node in tree["nodes"]:
        print(f"{'  ' * node['depth']}{node['name_ko']}: {node['amount_krw'] // 1000:,}")
    wrong = [row["id"] for row in rows if amounts.get(row["id"]) != int(row["amount_thousand_krw"]) * 1000]
    if wrong:
        raise SystemExit(
            f"MISMATCH: the programme budget read back differs from the CSV at {', '.join(wrong)}"
        )
    total = tree["total_krw"] // 1000
    print(f"The programme budget matches programme_budget_2017.csv: total {total:,} thousand KRW.")
