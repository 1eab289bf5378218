"""The .pb import refuses what PostgreSQL cannot store, names the line, and never holds the event loop."""

import asyncio

from tests.budget.conftest import Budget
from tests.budget.test_pabulib import import_pb
from tests.conftest import assert_problem


def synthetic_pb(votes: int, vote_line: str = "{i};1,2") -> bytes:
    lines = [
        "META",
        "key;value",
        "description;synthetic",
        "country;Korea",
        "unit;Seoul",
        "num_projects;3",
        f"num_votes;{votes}",
        "budget;1000",
        "vote_type;approval",
        "rule;greedy",
        "PROJECTS",
        "project_id;cost;name",
        "1;100;a",
        "2;200;b",
        "3;300;c",
        "VOTES",
        "voter_id;vote",
        *(vote_line.format(i=i) for i in range(votes)),
    ]
    return ("\n".join(lines) + "\n").encode()


async def test_a_clean_synthetic_file_imports(api: Budget) -> None:
    response = await import_pb(api, synthetic_pb(3))
    assert response.status_code == 201, response.text
    assert response.json()["n_ballots"] == 3


async def test_a_nul_anywhere_in_the_file_is_422_naming_the_field_and_line(api: Budget) -> None:
    clean = synthetic_pb(5)
    in_meta = clean.replace(b"description;synthetic", b"description;syn\x00thetic")
    problem = assert_problem(await import_pb(api, in_meta), 422, "body.file")
    assert problem["line"] == 3 and "NUL" in problem["detail"]
    in_project = clean.replace(b"1;100;a", b"1;100;a\x00")
    assert assert_problem(await import_pb(api, in_project), 422, "body.file")["line"] == 13
    in_votes = clean.replace(b"\n3;1,2\n", b"\n3;1,2\x00\n")
    assert assert_problem(await import_pb(api, in_votes), 422, "body.file")["line"] == 21


async def test_bytes_that_are_not_utf8_deep_in_the_votes_are_422(api: Budget) -> None:
    clean = synthetic_pb(20_000)
    broken = clean.replace(b"\n19000;1,2\n", b"\n19000;1,2\xff\n")
    problem = assert_problem(await import_pb(api, broken), 422, "body.file")
    assert problem["code"] == "invalid-pb-file" and "UTF-8" in problem["detail"]


async def test_a_nul_in_the_form_name_is_422(api: Budget) -> None:
    response = await import_pb(api, synthetic_pb(3), name_ko="이름\x00")
    assert assert_problem(response, 422, "body.name_ko")["code"] == "invalid-pb-file"


async def test_livez_answers_while_a_big_import_runs(api: Budget) -> None:
    """The parse runs in worker threads: /livez gets answers in while it runs (counted, not timed)."""
    answered = 0
    importing = asyncio.ensure_future(import_pb(api, synthetic_pb(60_000, "{i};1,2,3")))
    while not importing.done():
        response = await api.client.get("/livez")
        assert response.status_code == 200
        answered += 1
        await asyncio.sleep(0)
    result = await importing
    assert result.status_code == 201, result.text
    assert result.json()["n_ballots"] == 60_000
    assert answered > 1
