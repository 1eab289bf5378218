"""Weighted voter groups through a .pb export and back: the groups, their weights and the outcome survive."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from tests.budget.conftest import Auth, Budget, create_election
from tests.conftest import assert_problem

GROUPS = [
    {"code": "citizens", "name_ko": "시민", "weight": 50},
    {"code": "committee", "name_ko": "시민참여예산위원회", "weight": 40, "open": False},
    {"code": "school", "name_ko": "예산학교", "weight": 10, "open": False},
]
# (subject, group, projects with points). Raw counts: A 4, B 3, C 4, D 3, so greedy picks C, A, D; the
# weights give A 40, B 50, C 50, D 40 (50·4/5 for A; 50·1/5 + 40·2/2 for B …), so greedy picks C, B, D.
BALLOTS: list[tuple[str, str, dict[str, int]]] = [
    ("c1", "citizens", {"A": 6, "C": 4}),
    ("c2", "citizens", {"A": 10}),
    ("c3", "citizens", {"A": 5, "D": 5}),
    ("c4", "citizens", {"B": 10}),
    ("c5", "citizens", {"A": 7, "C": 3}),
    ("m1", "committee", {"B": 5, "D": 5}),
    ("m2", "committee", {"B": 8, "C": 2}),
    ("s1", "school", {"C": 9, "D": 1}),
]


async def import_pb(api: Budget, content: bytes) -> httpx.Response:
    files = {"file": ("groups.pb", content, "application/octet-stream")}
    return await api.client.post("/budget/elections/import", files=files, headers=api.city)


async def weighted_election(api: Budget, auth: Auth, ballot_type: str) -> int:
    ballot = {"type": "cumulative", "max_points": 10} if ballot_type == "cumulative" else {"type": "approval"}
    eid = int((await create_election(api, voter_groups=GROUPS, ballot=ballot))["id"])
    for group, subjects in (("committee", ["m1", "m2"]), ("school", ["s1"])):
        roll = {"voter_group": group, "subjects": subjects}
        await api.ok("POST", f"/budget/elections/{eid}/voter-roll", api.city, json=roll)
    for subject, group, choice in BALLOTS:
        body: dict[str, Any] = {"project_ids": list(choice)}
        if ballot_type == "cumulative":
            body["points"] = list(choice.values())
        response = await api.client.put(
            f"/budget/elections/{eid}/ballot", json=body, headers=auth("citizen", subject=subject)
        )
        assert response.status_code == 200 and response.json()["voter_group"] == group, response.text
    await api.ok("POST", f"/budget/elections/{eid}/close", api.city)
    return eid


async def export(api: Budget, election_id: int) -> str:
    response = await api.client.get(f"/budget/elections/{election_id}/export.pb", headers=api.city)
    assert response.status_code == 200, response.text
    return response.text


async def outcome(api: Budget, election_id: int, rule: str) -> dict[str, Any]:
    url = f"/budget/elections/{election_id}/outcome"
    response = await api.client.get(url, params={"rule": rule}, headers=api.city)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def same_decision(first: dict[str, Any], second: dict[str, Any]) -> None:
    for key in ("selected", "ballot_digest", "n_ballots", "total_cost", "tie_break", "params"):
        assert first[key] == second[key], key
    assert first["details"]["voter_groups"] == second["details"]["voter_groups"]
    strip = [{k: v for k, v in p.items() if k != "explanation"} for p in first["projects"]]
    assert strip == [{k: v for k, v in p.items() if k != "explanation"} for p in second["projects"]]


def votes_without_ids(text: str) -> list[str]:
    return sorted(line.split(";", 1)[1] for line in text.split("\nVOTES\n", 1)[1].splitlines()[1:])


@pytest.mark.parametrize("ballot_type", ["approval", "cumulative"])
async def test_weighted_groups_survive_export_and_import(api: Budget, auth: Auth, ballot_type: str) -> None:
    eid = await weighted_election(api, auth, ballot_type)
    text = await export(api, eid)
    assert "\nvoter_group_weights;citizens:50,committee:40,school:10\n" in text
    points = ";points" if ballot_type == "cumulative" else ""
    assert f"\nVOTES\nvoter_id;vote{points};voter_group\n" in text
    response = await import_pb(api, text.encode())
    assert response.status_code == 201, response.text
    again = response.json()
    assert again["n_ballots"] == len(BALLOTS)
    election = (await api.client.get(f"/budget/elections/{again['id']}")).json()
    assert [(g["code"], g["weight"], g["open"]) for g in election["voter_groups"]] == [
        ("citizens", 50, False),
        ("committee", 40, False),
        ("school", 10, False),
    ]
    for rule in ("greedy", "mes-add1"):
        same_decision(await outcome(api, eid, rule), await outcome(api, again["id"], rule))
    if ballot_type == "approval":
        assert (await outcome(api, eid, "greedy"))["selected"] == ["C", "B", "D"]
    # The import's own export says the same: same META groups, same ballots up to voter numbering.
    text_again = await export(api, again["id"])
    assert "\nvoter_group_weights;citizens:50,committee:40,school:10\n" in text_again
    assert votes_without_ids(text_again) == votes_without_ids(text)


async def test_files_without_groups_import_as_one_group(api: Budget, auth: Auth) -> None:
    eid = await weighted_election(api, auth, "approval")
    text = await export(api, eid)
    # An export from before groups were written: the column alone is not enough to weigh the groups.
    unweighted = text.replace("voter_group_weights;citizens:50,committee:40,school:10\n", "")
    head, votes = unweighted.split("\nVOTES\n", 1)
    plain = head + "\nVOTES\n" + "".join(line.rsplit(";", 1)[0] + "\n" for line in votes.splitlines())
    assert "voter_group" not in plain
    for content in (unweighted, plain):
        response = await import_pb(api, content.encode())
        assert response.status_code == 201, response.text
        imported = response.json()
        election = (await api.client.get(f"/budget/elections/{imported['id']}")).json()
        assert election["voter_groups"] == [
            {"code": "voters", "name_ko": "유권자", "weight": 1, "open": False}
        ]
        result = await outcome(api, imported["id"], "greedy")
        assert result["selected"] == ["C", "A", "D"]  # the raw counts
        assert {p["project_id"]: p["score"] for p in result["projects"]} == {"A": 4, "B": 3, "C": 4, "D": 3}
        # Its export is a plain Pabulib file again: no groups column, no weights.
        exported = await export(api, imported["id"])
        assert "voter_group" not in exported and "\nVOTES\nvoter_id;vote\n" in exported


def late_utc_window() -> dict[str, str]:
    """A window open now whose ends both fall at 23:30 UTC, when Seoul's date is already the next day.

    It reads the real clock: PostgreSQL's clock judges whether the ballots below are in time, and it cannot be
    pinned. Both ends are at least 30 minutes from now, whatever the hour the suite runs at.
    """
    now = datetime.now(UTC)
    late = datetime.combine(now.date(), time(23, 30), tzinfo=UTC)
    closes = late if now <= late - timedelta(minutes=30) else late + timedelta(days=1)
    return {"opens_at": (late - timedelta(days=1)).isoformat(), "closes_at": closes.isoformat()}


async def test_a_single_group_election_exports_as_before(api: Budget, auth: Auth) -> None:
    # The window's dates differ between UTC and Seoul at any hour: the file must carry the Seoul ones.
    election = await create_election(api, **late_utc_window())
    eid = election["id"]
    for subject, choice in (("v1", ["A", "C"]), ("v2", ["B"])):
        body = {"project_ids": choice}
        await api.ok("PUT", f"/budget/elections/{eid}/ballot", auth("citizen", subject=subject), json=body)
    text = await export(api, eid)
    head, votes = text.split("\nVOTES\n", 1)
    begin, end = election["opens_at"][:10], election["closes_at"][:10]  # answered in Seoul time
    assert election["opens_at"].endswith("+09:00") and begin != late_utc_window()["opens_at"][:10]
    assert head == (
        "META\nkey;value\ndescription;2018 종로구 주민투표\ncountry;South Korea\nunit;Seoul\n"
        f"instance;{eid}\ncurrency;KRW\nrule;greedy\ndate_begin;{begin}\ndate_end;{end}\nnum_projects;4\n"
        "num_votes;2\nbudget;1000000\nvote_type;approval\n"
        "PROJECTS\nproject_id;cost;name\nA;600000;도서관\nB;500000;공원\nC;300000;놀이터\nD;100000;벤치"
    )
    assert sorted(votes.splitlines()[1:]) in (["1;A,C", "2;B"], ["1;B", "2;A,C"])
    assert votes.splitlines()[0] == "voter_id;vote" and text.endswith("\n")


BAD_GROUPS = [
    ("voter_group_weights;citizens:50,school:10\n", "voter_id;vote\n1;A\n", "needs a VOTES column"),
    ("voter_group_weights;None\n", "voter_id;vote;voter_group\n1;A;citizens\n", None),
    ("voter_group_weights;citizens:0\n", "voter_id;vote;voter_group\n1;A;citizens\n", "positive whole"),
    ("voter_group_weights;citizens:5,citizens:5\n", "voter_id;vote;voter_group\n1;A;citizens\n", "twice"),
    ("voter_group_weights;Citizens:5\n", "voter_id;vote;voter_group\n1;A;Citizens\n", "a-z, 0-9"),
    ("voter_group_weights;citizens:5000000\n", "voter_id;vote;voter_group\n1;A;citizens\n", "1000000"),
    ("voter_group_weights;citizens:5\n", "voter_id;vote;voter_group\n1;A;citizens\n2;A;school\n", "'school'"),
    ("voter_group_weights;citizens:5\n", "voter_id;vote;voter_group\n1;A;citizens\n2;A;\n", "''"),
]


@pytest.mark.parametrize(("meta", "votes", "fragment"), BAD_GROUPS)
async def test_bad_groups_in_a_file_are_refused(
    api: Budget, meta: str, votes: str, fragment: str | None
) -> None:
    content = f"META\nkey;value\nbudget;100\n{meta}PROJECTS\nproject_id;cost\nA;50\nVOTES\n{votes}"
    response = await import_pb(api, content.encode())
    if fragment is None:  # None is no value: one group, the column ignored
        assert response.status_code == 201, response.text
        return
    problem = assert_problem(response, 422, field="body.file")
    assert problem["code"] == "invalid-pb-file" and fragment in problem["detail"], problem
    if "'" in fragment:
        assert problem["line"] == 11
