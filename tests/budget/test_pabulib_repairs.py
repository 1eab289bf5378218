"""Real files import: dirt their cities' counts ignore is repaired and reported, or refused when strict."""

import os
from typing import Any

import httpx
import pytest

from tests.budget.conftest import Budget
from tests.conftest import SHARED_DIR, assert_problem

PABULIB = SHARED_DIR / "data" / "pabulib"
BRODNO = PABULIB / "Poland_Warszawa_2019_Brodno.pb"
CLEAN_VOTE = b"\r\n53;60,1267,1270,1782,1963;"  # line 49
DIRTY_VOTE = b"\r\n53;60,1267,60,1270,1782,1963,1270;"  # as the Warszawa 2026 Miedzylesie-Radosc file has

pytestmark = pytest.mark.skipif(
    not PABULIB.is_dir() and not os.environ.get("CI"), reason=f"no Pabulib files in {PABULIB}"
)


async def import_pb(api: Budget, content: bytes, strict: str | None = None) -> httpx.Response:
    files = {"file": ("x.pb", content, "application/octet-stream")}
    params = {"strict": strict} if strict is not None else {}
    return await api.client.post(
        "/budget/elections/import", files=files, data={"published": "true"}, params=params, headers=api.city
    )


async def elections(api: Budget) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await api.client.get("/budget/elections?limit=200")).json()["items"]
    return items


async def test_a_vote_listing_a_project_twice_is_counted_once_and_reported(api: Budget) -> None:
    clean = BRODNO.read_bytes()
    assert clean.count(CLEAN_VOTE) == 1
    dirty = clean.replace(CLEAN_VOTE, DIRTY_VOTE)
    response = await import_pb(api, dirty)
    assert response.status_code == 201, response.text
    imported = response.json()
    assert imported["n_ballots"] == 972 and imported["n_repairs"] == 1
    assert imported["repairs"] == [
        {"line": 49, "detail": "vote lists project '60', '1270' twice or more: counted once"}
    ]
    reference = (await import_pb(api, clean)).json()
    assert reference["repairs"] == [] and reference["n_repairs"] == 0
    outcomes = [
        (await api.client.get(f"/budget/elections/{e['id']}/outcome", headers=api.city)).json()
        for e in (imported, reference)
    ]
    # The repaired ballot is the clean file's ballot: the same ballots, the same outcome.
    assert outcomes[0]["ballot_digest"] == outcomes[1]["ballot_digest"]
    assert outcomes[0]["selected"] == outcomes[1]["selected"]


@pytest.mark.parametrize("strict", ["true", "1"])
async def test_strict_mode_refuses_the_file_naming_the_line(api: Budget, strict: str) -> None:
    before = await elections(api)
    dirty = BRODNO.read_bytes().replace(CLEAN_VOTE, DIRTY_VOTE)
    problem = assert_problem(await import_pb(api, dirty, strict=strict), 422, field="body.file")
    assert problem["code"] == "invalid-pb-file" and problem["line"] == 49
    assert "'60', '1270' twice or more" in problem["detail"]
    assert await elections(api) == before  # nothing of the file was kept
    assert (await import_pb(api, BRODNO.read_bytes(), strict=strict)).status_code == 201
    assert (await import_pb(api, dirty, strict="false")).status_code == 201
    assert_problem(await import_pb(api, dirty, strict="maybe"), 422, field="query.strict")


async def test_a_points_vote_keeps_the_last_points(api: Budget) -> None:
    content = (
        "META\nkey;value\ndescription;누적 투표\nbudget;10\nvote_type;cumulative\nrule;greedy\n"
        "max_sum_points;10\nPROJECTS\nproject_id;cost\n1;6\n2;5\n3;5\n"
        "VOTES\nvoter_id;vote;points\nv1;1,2,1;3,2,5\nv2;3;6\nv3;2;4\n"
    )
    response = await import_pb(api, content.encode())
    assert response.status_code == 201, response.text
    assert [r["line"] for r in response.json()["repairs"]] == [15]
    eid = response.json()["id"]
    outcome = (await api.client.get(f"/budget/elections/{eid}/outcome")).json()
    scores = {p["project_id"]: p["score"] for p in outcome["projects"]}
    assert scores == {"1": 5, "2": 6, "3": 6}
    text = (await api.client.get(f"/budget/elections/{eid}/export.pb")).text
    assert "1,2;5,2" in text
