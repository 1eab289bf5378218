"""ETag and If-Match on every record a PATCH changes: two editors cannot silently overwrite each other."""

import asyncio
from collections import Counter
from typing import Any

import pytest

from shared.preconditions import if_match_passes
from tests.conftest import assert_problem
from tests.councils.helpers import Api, meeting, motion, unique


async def _records(api: Api) -> dict[str, tuple[str, dict[str, Any]]]:
    """One record behind every PATCH route: its path and a change to make."""
    body = await api.body()
    person = await api.person()
    seat = await api.membership(organization_id=body["id"], person_id=person["id"])
    organization = await api.ok(
        await api.client.post(
            "/councils/organizations",
            json={"classification": "other", "name_ko": unique("단체")},
            headers=api.city,
        )
    )
    held = await meeting(api, body)
    voted = await api.ok(await motion(api, held["id"], 0, 0, 0))
    return {
        "body": (f"/councils/bodies/{body['id']}", {"name_en": unique("body")}),
        "organization": (f"/councils/organizations/{organization['id']}", {"name_en": unique("org")}),
        "person": (f"/councils/persons/{person['id']}", {"name_en": unique("person")}),
        "membership": (f"/councils/memberships/{seat['id']}", {"label": unique("seat")}),
        "meeting": (f"/councils/meetings/{held['id']}", {"place": unique("room")}),
        "motion": (f"/councils/motions/{voted['id']}", {"title": unique("motion")}),
    }


KINDS = ["body", "organization", "person", "membership", "meeting", "motion"]


@pytest.mark.parametrize("kind", KINDS)
async def test_every_patchable_record_has_an_etag_that_if_match_checks(api: Api, kind: str) -> None:
    path, change = (await _records(api))[kind]
    read = await api.client.get(path)
    assert read.status_code == 200, read.text
    tag = read.headers["etag"]
    assert tag.startswith('"') and not tag.startswith("W/")

    changed = await api.client.patch(path, json=change, headers={**api.city, "If-Match": tag})
    assert changed.status_code == 200, changed.text
    new_tag = changed.headers["etag"]
    assert new_tag != tag
    assert (await api.client.get(path)).headers["etag"] == new_tag

    stale = await api.client.patch(path, json=change, headers={**api.city, "If-Match": tag})
    problem = assert_problem(stale, 412, field="header.If-Match")
    assert problem["code"] == "precondition-failed" and problem["etag"] == new_tag
    assert (await api.client.get(path)).headers["etag"] == new_tag  # the refused change changed nothing


async def test_patch_without_if_match_still_changes_and_moves_the_etag(api: Api) -> None:
    person = await api.person()
    path = f"/councils/persons/{person['id']}"
    before = (await api.client.get(path)).headers["etag"]
    changed = await api.client.patch(path, json={"note": "메모"}, headers=api.city)
    assert changed.status_code == 200 and changed.json()["note"] == "메모"
    assert changed.headers["etag"] != before


async def test_if_match_star_matches_any_existing_record_and_a_missing_one_is_a_404(api: Api) -> None:
    person = await api.person()
    star = await api.client.patch(
        f"/councils/persons/{person['id']}", json={"note": "x"}, headers={**api.city, "If-Match": "*"}
    )
    assert star.status_code == 200
    missing = await api.client.patch(
        "/councils/persons/2147483647", json={"note": "x"}, headers={**api.city, "If-Match": "*"}
    )
    assert_problem(missing, 404)


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"3"', True),
        ('"2"', False),
        ('"4"', False),
        ('W/"3"', False),  # If-Match compares strongly: a weak tag never matches
        ('"1", "3"', True),
        ('"1","2"', False),
        ("*", True),
        ("3", False),  # an entity tag is quoted
    ],
)
def test_if_match_comparison_at_its_edges(header: str, matches: bool) -> None:
    assert if_match_passes(header, 3) is matches


async def test_racing_patches_with_one_etag_one_wins(committed_api: Api) -> None:
    api = committed_api
    person = await api.person()
    path = f"/councils/persons/{person['id']}"
    tag = (await api.client.get(path)).headers["etag"]
    notes = [unique("동시편집") for _ in range(8)]
    responses = await asyncio.gather(
        *(
            api.client.patch(path, json={"note": note}, headers={**api.city, "If-Match": tag})
            for note in notes
        )
    )
    assert Counter(r.status_code for r in responses) == {200: 1, 412: 7}, [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200)
    now = await api.client.get(path)
    assert now.json()["note"] == winner.json()["note"]
    assert now.headers["etag"] == winner.headers["etag"]
