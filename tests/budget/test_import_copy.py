"""The import's own COPY stream and voter-hash order: C and Python give the same bytes, PostgreSQL reads
back exactly the file's ballots (Korean text included), and each run of rows goes in ascending voter-hash
order."""

import hashlib
import hmac
import os
import random
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.budget.elections import ballot_copy, pb_import
from services.budget.elections.ballot_copy import encode_ballots, hash_order
from services.budget.elections.ballot_tally import sorted_in_pieces
from services.budget.settings import BudgetSettings
from tests.budget.conftest import Auth, Budget
from tests.budget.test_pabulib import import_pb
from tests.conftest import ServiceHarness

needs_c = pytest.mark.skipif(ballot_copy.copy_ballots is None, reason="the C extension is not built")
HASHES = [hashlib.sha256(str(i).encode()).digest() for i in range(6)]
VOTES: list[Sequence[str]] = [("p1", "p2"), ["사업3"], (), ("x" * 300,), ("p1", "사업3", "Ł"), ("",)]
GROUPS = ["voters", "청년", "voters", "a", "", "청년"]


@needs_c
@pytest.mark.parametrize("groups", ["voters", "유권자", GROUPS])
def test_c_stream_is_the_python_one_byte_for_byte(groups: str | list[str]) -> None:
    expected = encode_ballots(7, HASHES, groups, VOTES)
    assert ballot_copy.copy_ballots(7, HASHES, groups, VOTES) == expected
    assert expected.startswith(b"PGCOPY\n\xff\r\n\x00" + bytes(8)) and expected.endswith(b"\xff\xff")


@needs_c
def test_c_stream_of_no_ballots_and_of_extreme_ids() -> None:
    for election_id in (0, 1, 2**31 - 1, -(2**31)):
        assert ballot_copy.copy_ballots(election_id, [], "voters", []) == encode_ballots(
            election_id, [], "voters", []
        )
        assert ballot_copy.copy_ballots(election_id, HASHES[:1], "v", [("a",)]) == encode_ballots(
            election_id, HASHES[:1], "v", [("a",)]
        )


@needs_c
@pytest.mark.parametrize(
    "args",
    [
        (2**31, HASHES[:1], "v", [("a",)]),  # not an int4
        (1, HASHES[:2], "v", [("a",)]),  # a vote short
        (1, HASHES[:1], ["v", "w"], [("a",)]),  # a group too many
        (1, ["not bytes"], "v", [("a",)]),
        (1, HASHES[:1], "v", [(1,)]),  # a project id that is not a str
        (1, HASHES[:1], "v", [("\udc80",)]),  # no UTF-8 form
    ],
)
def test_both_encoders_refuse_what_they_cannot_encode(args: tuple[Any, ...]) -> None:
    with pytest.raises((ValueError, TypeError, OverflowError, UnicodeEncodeError)):
        encode_ballots(*args)
    if ballot_copy.copy_ballots is not None:
        with pytest.raises((ValueError, TypeError, OverflowError, UnicodeEncodeError)):
            ballot_copy.copy_ballots(*args)


@pytest.mark.parametrize("seed", range(3))
def test_hash_order_is_sorted_order(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    keys = [os.urandom(32) for _ in range(2000)]
    keys += [bytes(rng.choice([0, 1, 255]) for _ in range(rng.randint(0, 10))) for _ in range(2000)]
    keys += [b"", b"a", b"a\x00", b"a", bytes(8), bytes(9)]
    expected = sorted(range(len(keys)), key=keys.__getitem__)
    assert hash_order(keys) == expected
    monkeypatch.setattr(ballot_copy, "order_of", None)
    assert hash_order(keys) == expected


def korean_pb(voters: int) -> bytes:
    rng = random.Random(voters)
    projects = ["사업1", "p2", "공원-3", "Ł4", "5"]
    lines = [
        "META",
        "key;value",
        "description;한국어 투표",
        "budget;1000",
        "vote_type;approval",
        "rule;greedy",
        "voter_group_weights;youth:1,adults:2",
        "PROJECTS",
        "project_id;cost;name",
        *(f"{p};{100 + i};이름 {i}" for i, p in enumerate(projects)),
        "VOTES",
        "voter_id;vote;voter_group",
    ]
    for i in range(voters):
        vote = ",".join(rng.sample(projects, rng.randint(1, len(projects))))
        group = rng.choice(["youth", "adults"])
        lines.append(f"유권자{i};{vote};{group}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
async def api_conn(
    budget_harness: ServiceHarness, auth: Auth
) -> AsyncIterator[tuple[Budget, AsyncConnection]]:
    async for client, conn in budget_harness.client():
        yield Budget(client, auth), conn


@pytest.mark.parametrize(
    ("built", "run_batches"),
    [(True, pb_import.RUN_BATCHES), (False, pb_import.RUN_BATCHES), (True, 1)],
    ids=["c", "python", "c-runs-of-one-batch"],
)
async def test_imported_ballots_read_back_as_the_file_in_voter_hash_order(
    api_conn: tuple[Budget, AsyncConnection], built: bool, run_batches: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if built and ballot_copy.copy_ballots is None:
        pytest.skip("the C extension is not built")
    if not built:
        monkeypatch.setattr(ballot_copy, "copy_ballots", None)
        monkeypatch.setattr(ballot_copy, "order_of", None)
    monkeypatch.setattr(pb_import, "RUN_BATCHES", run_batches)
    api, conn = api_conn
    content = korean_pb(25_000)
    response = await import_pb(api, content)
    assert response.status_code == 201, response.text
    election_id = response.json()["id"]
    rows = (
        await conn.execute(
            text(
                "SELECT voter_hash, voter_group, project_ids, points FROM budget.ballots"
                " WHERE election_id = :id ORDER BY id"
            ),
            {"id": election_id},
        )
    ).all()
    batch = BudgetSettings(database_url="postgresql://x").import_batch_rows
    hashes = [bytes(row[0]) for row in rows]
    runs, start = [], 0
    while start < len(hashes):  # one batch, then twice the last, up to run_batches batches
        size = batch * min(2 ** len(runs), run_batches)
        runs.append(hashes[start : start + size])
        start += size
    assert len(runs) == (2 if run_batches > 1 else 3)  # 10,000 + 15,000, or 10,000 + 10,000 + 5,000
    assert all(each == sorted(each) for each in runs)  # each run reaches the unique index in its order
    assert any(hashes[i] > hashes[i + 1] for i in range(len(hashes) - 1))  # the runs are not one order
    secret = BudgetSettings(database_url="postgresql://x").voter_hash_secret.get_secret_value().encode()
    order = ["사업1", "p2", "공원-3", "Ł4", "5"]
    expected = {}
    for line in content.decode().split("voter_group\n")[1].splitlines():
        voter, vote, group = line.split(";")
        digest = hmac.new(secret, f"{election_id}:{voter}".encode(), hashlib.sha256).digest()
        expected[digest] = (group, sorted(vote.split(","), key=order.index), None)
    assert {bytes(h): (g, list(p), pts) for h, g, p, pts in rows} == expected


@pytest.mark.parametrize("seed", range(3))
def test_the_tally_sorts_its_lines_in_pieces_as_one_sort(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        lines = [
            "".join(rng.choice("ab\t,가\x00") for _ in range(rng.randint(0, 16)))
            for _ in range(rng.randint(0, 300))
        ]
        assert sorted_in_pieces(lines, rng.randint(1, 14)) == sorted(lines)
