"""CSV exports are safe to open in a spreadsheet: text that would start a formula is prefixed with `'`."""

import csv
import io
from decimal import Decimal

import pytest

from shared.csv_export import csv_text, safe_cell
from tests.councils.helpers import Api

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


def rows_of(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
async def test_every_csv_export_neutralises_a_formula_in_text(api: Api, start: str) -> None:
    body_name = f'{start}HYPERLINK("http://evil.example","협치종로구회의")'
    english = f"{start}cmd|' /C calc'!A0"
    person_name = f"{start}1+1 홍길동"
    label = f"{start}SUM(A1:A9) 민간위원"
    body = await api.body(district_code="11110", name_ko=body_name, name_en=english)
    person = await api.person(name_ko=person_name)
    await api.membership(
        organization_id=body["id"], person_id=person["id"], start_date="2017-01-01", label=label
    )

    bodies = rows_of(
        (await api.client.get("/councils/exports/bodies.csv", params={"district": "11110"})).content
    )
    mine = next(row for row in bodies if row["id"] == str(body["id"]))
    assert (mine["이름"], mine["영문명"]) == ("'" + body_name, "'" + english)

    members = await api.client.get(
        "/councils/exports/memberships.csv", params={"organization_id": body["id"]}
    )
    row = next(r for r in rows_of(members.content) if r["기구 id"] == str(body["id"]))
    assert (row["기구"], row["이름"], row["비고"]) == ("'" + body_name, "'" + person_name, "'" + label)

    composition = await api.client.get(
        "/councils/exports/composition.csv", params={"district": "11110", "on": "2017-06-30"}
    )
    counted = next(r for r in rows_of(composition.content) if r["기구 id"] == str(body["id"]))
    assert counted["기구"] == "'" + body_name
    assert (counted["계"], counted["민"]) == ("1", "1")  # numbers stay numbers


async def test_korean_text_round_trips_through_every_csv_export(api: Api) -> None:
    name = "협치성북구회의 「마을계획」 ㈔·協治 🙂"
    body = await api.body(district_code="11290", name_ko=name)
    person = await api.person(name_ko="주영남")
    await api.membership(organization_id=body["id"], person_id=person["id"], label="위원장 (호선)")
    exports = {
        "bodies.csv": {"district": "11290"},
        "memberships.csv": {"organization_id": body["id"]},
        "composition.csv": {"district": "11290", "on": "2017-06-30"},
    }
    for export, params in exports.items():
        rows = rows_of((await api.client.get(f"/councils/exports/{export}", params=params)).content)
        assert name in [r.get("기구", r.get("이름")) for r in rows], export
    members = rows_of(
        (await api.client.get("/councils/exports/memberships.csv", params=exports["memberships.csv"])).content
    )
    assert (members[0]["이름"], members[0]["비고"]) == ("주영남", "위원장 (호선)")


def test_only_text_is_neutralised() -> None:
    assert [safe_cell(v) for v in (-5, Decimal("-1.5"), -0.25, 0, None)] == [
        -5,
        Decimal("-1.5"),
        -0.25,
        0,
        "",
    ]
    assert [safe_cell(v) for v in ("-5", "=1", "협치", " =1", "a=b", "")] == [
        "'-5",
        "'=1",
        "협치",
        " =1",
        "a=b",
        "",
    ]
    written = csv_text(["n", "t"], [[-3, "-3"]]).removeprefix("\ufeff")
    assert written.splitlines()[1] == "-3,'-3"
