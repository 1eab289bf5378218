"""Popolo JSON per body; CSV (UTF-8 with BOM, Korean headers) of bodies, memberships and composition."""

import csv
import io

from tests.councils.helpers import Api


def read_csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


async def test_popolo_export_of_a_body_and_its_sub_bodies(api: Api) -> None:
    council = await api.body(
        district_code="11230", name_ko="협치동대문구회의", name_en="Dongdaemun governance council"
    )
    sub = await api.body(classification="subcommittee", parent_id=council["id"], name_ko="안전분과")
    person = await api.person(name_ko="주영남", email="private@example.org")
    await api.membership(
        organization_id=council["id"], person_id=person["id"], role="chair", start_date="2017-06"
    )
    await api.membership(organization_id=sub["id"], sector="official", start_date="2017-06-30", label="위원")
    post = await api.client.post(
        f"/councils/bodies/{council['id']}/posts", json={"label": "위원장", "role": "chair"}, headers=api.city
    )
    export = (await api.client.get(f"/councils/bodies/{council['id']}/popolo")).json()
    assert [o["id"] for o in export["organizations"]] == [
        f"organization/{council['id']}",
        f"organization/{sub['id']}",
    ]
    assert export["organizations"][0]["other_names"] == [
        {"name": "Dongdaemun governance council", "note": "English"}
    ]
    assert export["organizations"][0]["area_id"] == "district/11230"
    assert export["organizations"][1]["parent_id"] == f"organization/{council['id']}"
    assert export["persons"] == [{"id": f"person/{person['id']}", "name": "주영남"}]
    chair = export["memberships"][0]
    assert {k: chair[k] for k in ("person_id", "organization_id", "role", "start_date")} == {
        "person_id": f"person/{person['id']}",
        "organization_id": f"organization/{council['id']}",
        "role": "chair",
        "start_date": "2017-06",
    }
    assert "person_id" not in export["memberships"][1] and export["memberships"][1]["label"] == "위원"
    assert export["posts"] == [
        {
            "id": f"post/{post.json()['id']}",
            "label": "위원장",
            "role": "chair",
            "organization_id": chair["organization_id"],
        }
    ]
    assert "private@example.org" not in str(export)


async def test_csv_exports_have_a_bom_and_korean_headers(api: Api) -> None:
    body = await api.body(
        district_code="11545", name_ko="금천구 협치회의(민관TFT)", policy_fields=["안전", "일자리"]
    )
    for sector, count in (("civil", 10), ("official", 4)):
        response = await api.client.post(
            f"/councils/bodies/{body['id']}/unnamed-seats",
            json={"sector": sector, "count": count, "start_date": "2017-06-30"},
            headers=api.city,
        )
        assert response.status_code == 201 and len(response.json()) == count

    bodies = await api.client.get("/councils/exports/bodies.csv", params={"district": "11545"})
    assert bodies.headers["content-type"] == "text/csv; charset=utf-8"
    row = next(r for r in read_csv(bodies.content) if r["id"] == str(body["id"]))
    assert (row["이름"], row["정책분야"], row["의사정족수"], row["규정개정"]) == (
        "금천구 협치회의(민관TFT)",
        "안전|일자리",
        "1/2 초과",
        "2/3 이상",
    )

    composition = await api.client.get(
        "/councils/exports/composition.csv", params={"district": "11545", "on": "2017-06-30"}
    )
    row = next(r for r in read_csv(composition.content) if r["기구 id"] == str(body["id"]))
    assert (row["계"], row["민"], row["구의원"], row["관"], row["기준일"]) == (
        "14",
        "10",
        "0",
        "4",
        "2017-06-30",
    )

    members = await api.client.get(
        "/councils/exports/memberships.csv", params={"organization_id": body["id"], "sector": "official"}
    )
    rows = read_csv(members.content)
    assert len(rows) == 4 and {r["부문"] for r in rows} == {"official"}
    assert members.content.count(b"\r\n") == 5
