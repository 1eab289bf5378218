"""Load the 2017 records (../shared/data/seoul_2017) through the public API, then read back the
innovation-plan composition table and check it against the source.

    python -m ops.demo [--base-url http://127.0.0.1:8000]     # `make demo`, against `make run`

Idempotent: every record is looked up before it is created, so running it again adds nothing.
The composition table gives counts per sector, not names; each counted seat is recorded as an
*unnamed seat* (a membership without a person, labelled as such) from the table's as-of date, so the
figures come back through the same composition query that counts named members, and nobody
mistakes a seat for a person.
"""

import argparse
import csv
import os
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ops import demo_evaluation, demo_http, demo_projects
from ops.demo_grants import load_grants
from shared.auth import Role, mint_token
from shared.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2017-06-30"  # the tables are "2017.6말 현재"
STATUS_SOURCE = "seed 004 (2017-06), 자치구 지역사회혁신계획 추진 현황; data/seoul_2017/district_status.csv"
PLAN_SOURCE = "seed 004 (2017-06), 지역사회혁신계획 [붙임4]; data/seoul_2017/innovation_plan_councils.csv"
PLATFORM_SOURCE = (
    "seed 004 (2017-06), 시민협력플랫폼 추진 단체 현황 [붙임3]; data/seoul_2017/civic_platforms.csv"
)
SEAT_LABEL = "명단 미기재 (2017.6말 현황표의 인원)"
SECTORS = (
    ("civil", "members_civil"),
    ("councillor", "members_councillors"),
    ("official", "members_officials"),
)


def shared_dir() -> Path:
    return Path(os.environ.get("SEOUL_SHARED_DIR") or ROOT.parent / "shared")


def read_csv(name: str, base: Path | None = None) -> list[dict[str, str]]:
    path = (base or shared_dir()) / "data" / "seoul_2017" / name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class CompositionRow:
    district_code: str
    district: str
    total: int
    civil: int
    councillors: int
    officials: int


class Api:
    """The public API with a city officer's token; every unexpected answer stops the load.

    Lookups are cached per district and per organization, so a load makes a few hundred requests."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.created = 0
        self._organizations: dict[str, list[dict[str, Any]]] = {}
        self._persons: dict[str, list[dict[str, Any]]] = {}
        self._memberships: dict[int, list[dict[str, Any]]] = {}

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params={k: v for k, v in params.items() if v is not None})
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} {params}: {response.status_code} {response.text}")
        return response.json()

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        response = self.client.post(path, json=payload)
        if response.status_code != 201:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text}")
        self.created += 1
        return response.json()

    def items(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        return demo_http.items(self.client, path, **params)

    def organization(self, name: str, district: str, kind: str, **fields: Any) -> dict[str, Any]:
        known = self._organizations.setdefault(
            district, list(self.items("/councils/organizations", district=district))
        )
        for org in known:
            if org["name_ko"] == name and org["classification"] == kind:
                return org
        payload = {"classification": kind, "name_ko": name, "district_code": district, **fields}
        known.append(self.post("/councils/organizations", payload))
        return known[-1]

    def person(self, name: str, district: str) -> dict[str, Any]:
        known = self._persons.setdefault(district, list(self.items("/councils/persons", district=district)))
        for person in known:
            if person["name_ko"] == name:
                return person
        known.append(self.post("/councils/persons", {"name_ko": name, "district_code": district}))
        return known[-1]

    def membership(self, organization_id: int, role: str, start: str, **member: Any) -> None:
        known = self._memberships.setdefault(
            organization_id, list(self.items("/councils/memberships", organization_id=organization_id))
        )
        for existing in known:
            if existing["role"] == role and all(existing[key] == value for key, value in member.items()):
                return
        payload = {"organization_id": organization_id, "role": role, "sector": "civil", "start_date": start}
        known.append(self.post("/councils/memberships", {**payload, **member, "source": PLATFORM_SOURCE}))


def load_status(api: Api, rows: list[dict[str, str]]) -> None:
    for row in rows:
        code = row["district_code"]
        if any(
            r["as_of"] == AS_OF and r["source"] == STATUS_SOURCE
            for r in api.items(f"/councils/districts/{code}/status-records")
        ):
            continue
        bodies: list[dict[str, Any]] = [
            {
                "kind": "tft",
                "formed_date": row["tft_formed_on"] or None,
                "meetings_held": int(row["tft_meetings"]) if row["tft_meetings"] else None,
                "civil": int(row["tft_civil"]),
                "councillor": int(row["tft_councillors"]),
                "official": int(row["tft_officials"]),
            }
        ]
        if row["council_formed_on"]:
            bodies.append(
                {
                    "kind": "district_council",
                    "formed_date": row["council_formed_on"],
                    "civil": int(row["council_civil"]),
                    "official": int(row["council_officials"]),
                }
            )
        enacted, note = row["ordinance_enacted_on"] or None, row["ordinance_note"] or None
        api.post(
            f"/councils/districts/{code}/status-records",
            {
                "as_of": AS_OF,
                "source": STATUS_SOURCE,
                "department": row["department"],
                "support_officers_hired": int(row["support_officers_hired"]),
                "coordinator_appointed": row["coordinator_appointed"] == "true",
                "ordinance_status": "enacted" if enacted else "pending" if note else "none",
                "ordinance_enacted_date": enacted,
                "ordinance_note": note,
                "forums_held": int(row["forums_held"] or 0),
                "bodies": bodies,
            },
        )


def council_name(row: dict[str, str]) -> str:
    return f"{row['district']} 협치회의(민관TFT)"


def find_council(api: Api, row: dict[str, str]) -> dict[str, Any] | None:
    name = council_name(row)
    for body in api.items("/councils/bodies", district=row["district_code"], kind="district_council", q=name):
        if body["name_ko"] == name:
            return body
    return None


def load_councils(api: Api, rows: list[dict[str, str]]) -> None:
    for row in rows:
        body = find_council(api, row) or api.post(
            "/councils/bodies",
            {
                "classification": "district_council",
                "name_ko": council_name(row),
                "district_code": row["district_code"],
                "policy_fields": row["policy_fields"].split("|"),
                "note": "지역사회혁신계획 현황표의 협치회의(민관TFT); 구성원 명단은 표에 없음. "
                f"수립 {row['planning_start']}–{row['planning_end']}"
                + (
                    f", 실행 {row['execution_start']}–{row['execution_end']}"
                    if row["execution_start"]
                    else ""
                ),
                "source": PLAN_SOURCE,
            },
        )
        now = api.get(f"/councils/bodies/{body['id']}/composition", on=AS_OF)
        for sector, column in SECTORS:
            missing = int(row[column]) - now[sector]
            if missing > 0:
                api.post(
                    f"/councils/bodies/{body['id']}/unnamed-seats",
                    {
                        "sector": sector,
                        "count": missing,
                        "start_date": AS_OF,
                        "label": SEAT_LABEL,
                        "source": PLAN_SOURCE,
                    },
                )


def split_member(text: str) -> tuple[str, str | None]:
    """`(사)관악주민연대(민경자)` -> ("(사)관악주민연대", "민경자"); an empty `()` names nobody."""
    match = re.match(r"^(.*)\(([^()]*)\)$", text.strip())
    if not match:
        return text.strip(), None
    return match.group(1).strip(), match.group(2).strip() or None


def load_platforms(api: Api, rows: list[dict[str, str]]) -> None:
    for row in rows:
        code, start = row["district_code"], row["started_on"]
        consortium = api.organization(
            f"{row['district']} 시민협력플랫폼 컨소시엄", code, "consortium", source=PLATFORM_SOURCE
        )
        for entry in row["consortium"].split("|"):
            name, representative = split_member(entry)
            member = api.organization(name, code, "civil_society_organization", source=PLATFORM_SOURCE)
            api.membership(consortium["id"], "member", start, member_organization_id=member["id"])
            if representative:
                person = api.person(representative, code)
                api.membership(member["id"], "representative", start, person_id=person["id"])
        api.membership(consortium["id"], "manager", start, person_id=api.person(row["manager"], code)["id"])
        for assistant in filter(None, row["assistant_managers"].split("|")):
            api.membership(
                consortium["id"], "assistant_manager", start, person_id=api.person(assistant, code)["id"]
            )
        if not any(
            p["consortium"]["id"] == consortium["id"] for p in api.items("/councils/platforms", district=code)
        ):
            api.post(
                "/councils/platforms",
                {
                    "district_code": code,
                    "name_ko": f"{row['district']} 시민협력플랫폼",
                    "consortium_id": consortium["id"],
                    "started_date": start,
                    "evaluation_round": int(row["evaluation_round"]),
                    "youth_activists": int(row["youth_activists"]),
                    "source": PLATFORM_SOURCE,
                },
            )


def composition_table(api: Api, rows: list[dict[str, str]]) -> list[CompositionRow]:
    """The innovation-plan composition table, read back from the API."""
    table = []
    for row in rows:
        body = find_council(api, row)
        if body is None:
            raise RuntimeError(f"{council_name(row)} is not registered")
        c = api.get(f"/councils/bodies/{body['id']}/composition", on=AS_OF)
        table.append(
            CompositionRow(
                row["district_code"], row["district"], c["total"], c["civil"], c["councillor"], c["official"]
            )
        )
    return table


def expected_table(rows: list[dict[str, str]]) -> list[CompositionRow]:
    return [
        CompositionRow(
            r["district_code"],
            r["district"],
            int(r["members_total"]),
            int(r["members_civil"]),
            int(r["members_councillors"]),
            int(r["members_officials"]),
        )
        for r in rows
    ]


def load(client: httpx.Client, base: Path | None = None) -> tuple[list[CompositionRow], int]:
    """Load everything; return the composition table read back and how many records were created."""
    api = Api(client)
    plan = read_csv("innovation_plan_councils.csv", base)
    load_status(api, read_csv("district_status.csv", base))
    load_councils(api, plan)
    load_platforms(api, read_csv("civic_platforms.csv", base))
    return composition_table(api, plan), api.created


def _pad(text: str, width: int) -> str:
    """Left-align for a terminal, where Hangul takes two columns."""
    shown = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(width - shown, 0)


def render(table: list[CompositionRow]) -> str:
    lines = [
        f"지역사회혁신계획 협치회의(민관TFT) 구성, {AS_OF} 기준 (API에서 읽음)",
        f"{_pad('자치구', 10)}{_pad('계', 5)}{_pad('민', 5)}{_pad('구의원', 8)}관",
    ]
    for row in table:
        lines.append(
            f"{_pad(row.district, 10)}{row.total:<5}{row.civil:<5}{row.councillors:<8}{row.officials}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base-url", default="http://127.0.0.1:8000", help="the gateway (default: %(default)s)"
    )
    args = parser.parse_args()
    token = mint_token(CommonSettings(), subject="ops-demo", role=Role.city_officer, name="make demo")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=args.base_url, headers=headers, timeout=30) as client:
        table, created = load(client)
    print(render(table))
    print(f"\n{created} records created ({'first load' if created else 'already loaded'}).")
    if table != expected_table(read_csv("innovation_plan_councils.csv")):
        print("MISMATCH: the table read back differs from innovation_plan_councils.csv", file=sys.stderr)
        raise SystemExit(1)
    print("The composition table matches innovation_plan_councils.csv exactly.")
    load_grants(args.base_url, headers, shared_dir())
    demo_projects.run(args.base_url)
    demo_evaluation.run(args.base_url, shared_dir())


if __name__ == "__main__":
    main()
