import io
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from services.budget.pabulib import (
    GROUP_COLUMN,
    GROUP_WEIGHTS_KEY,
    PbFormatError,
    PbReader,
    dumps_pb,
    format_group_weights,
    parse_group_weights,
    parse_pb_file,
    parse_pb_lines,
    parse_pb_text,
    write_pb_file,
)
from services.budget.pabulib.writer import format_amount
from tests.conftest import SHARED_DIR, require_shared

PABULIB = SHARED_DIR / "data" / "pabulib"
REAL_FILES = sorted(PABULIB.glob("*.pb"))

SMALL = '''META
key;value
description;tiny
budget;1000.5
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;votes;name;category;selected
a;500;2;"Park; phase ""II""";None;1
b;500.5;1;Library;;0
c;250;1;Bench;sport,culture;0
VOTES
voter_id;vote;age;sex
v1;a,b;34;F
v2;a;None;
v3;c;51;M
'''


def test_small_file_fields_and_values() -> None:
    instance = parse_pb_text(SMALL)
    assert instance.budget == Fraction(2001, 2)
    assert instance.vote_type == "approval"
    assert list(instance.projects) == ["a", "b", "c"]
    park = instance.projects["a"]
    assert park.name == 'Park; phase "II"'
    assert park.cost == 500 and isinstance(park.cost, int)
    assert park.fields == {"votes": "2", "category": None, "selected": "1"}
    assert instance.projects["b"].cost == Fraction(1001, 2)
    assert instance.projects["b"].fields["category"] is None
    assert instance.projects["c"].fields["category"] == "sport,culture"
    assert [vote.voter_id for vote in instance.votes] == ["v1", "v2", "v3"]
    assert instance.votes[0].vote == ("a", "b")
    assert instance.votes[0].points is None
    assert instance.votes[1].fields == {"age": None, "sex": None}
    assert instance.project_columns == ("project_id", "cost", "votes", "name", "category", "selected")
    assert instance.vote_columns == ("voter_id", "vote", "age", "sex")


def test_crlf_and_bom_parse_like_lf() -> None:
    plain = parse_pb_text(SMALL)
    assert parse_pb_text(SMALL.replace("\n", "\r\n")) == plain
    assert parse_pb_text("\ufeff" + SMALL.replace("\n", "\r\n")) == plain


def test_crlf_file_with_bom_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "crlf.pb"
    path.write_bytes(b"\xef\xbb\xbf" + SMALL.replace("\n", "\r\n").encode())
    assert parse_pb_file(path) == parse_pb_text(SMALL)


def test_blank_lines_and_integral_decimals_are_tolerated() -> None:
    text = SMALL.replace("PROJECTS\n", "\nPROJECTS\n").replace("c;250;", "c;250.00;") + "\n\n"
    instance = parse_pb_text(text)
    assert instance.projects["c"].cost == 250 and isinstance(instance.projects["c"].cost, int)


def test_cumulative_points() -> None:
    text = """META
key;value
budget;100
vote_type;cumulative
PROJECTS
project_id;cost
p;60
q;50
VOTES
voter_id;vote;points
1;p,q;7,3
2;q;10
"""
    instance = parse_pb_text(text)
    assert instance.votes[0].points == (7, 3)
    assert instance.votes[1].vote == ("q",)
    assert parse_pb_text(dumps_pb(instance)) == instance


def _error(text: str) -> PbFormatError:
    with pytest.raises(PbFormatError) as caught:
        parse_pb_text(text)
    return caught.value


@pytest.mark.parametrize(
    ("broken", "line_no", "fragment"),
    [
        (SMALL.replace("b;500.5;", "b;5OO;"), 10, "cost of project 'b'"),
        (SMALL.replace("b;500.5;", "b;500,5;"), 10, "not a decimal"),
        (SMALL.replace("v3;c;", "v3;z;"), 16, "unknown project 'z'"),
        (SMALL.replace("v2;a;", "v1;a;"), 15, "duplicate voter_id"),
        (SMALL.replace("c;250;", "a;250;"), 11, "duplicate project_id"),
        (SMALL.replace("v1;a,b;", "v1;a,a;"), 14, "twice"),
        (SMALL.replace("v3;c;51;M", "v3;c;51"), 16, "fields"),
        (SMALL.replace("budget;1000.5", "budget;lots"), 4, "budget"),
        (SMALL.replace("budget;1000.5\n", ""), 6, "no 'budget'"),
        (SMALL[: SMALL.index("VOTES")], 12, "expected section VOTES, found end of file"),
        (SMALL.replace("PROJECTS\n", "", 1), 11, "VOTES out of order (expected PROJECTS)"),
        ("hello;world\n", 1, "expected section META"),
        ("", 1, "expected section META"),
        (SMALL.replace("key;value", "name;value"), 2, "key;value"),
        (SMALL.replace("project_id;cost;", "project_id;price;"), 8, "cost"),
    ],
)
def test_malformed_input_names_the_line(broken: str, line_no: int, fragment: str) -> None:
    error = _error(broken)
    assert error.line_no == line_no, str(error)
    assert fragment in str(error)
    assert str(error).startswith(f"line {line_no}: ")


def test_points_must_match_votes() -> None:
    text = """META
key;value
budget;10
vote_type;cumulative
PROJECTS
project_id;cost
p;5
VOTES
voter_id;vote;points
1;p;3,4
"""
    assert _error(text).line_no == 10
    assert "points" in str(_error(text.replace(";points", "").replace(";3,4", "")))


def test_reader_streams_votes_lazily() -> None:
    consumed: list[int] = []

    def lines() -> Iterator[str]:
        for number, line in enumerate(SMALL.splitlines(keepends=True), start=1):
            consumed.append(number)
            yield line

    reader = PbReader(lines())
    assert reader.meta["description"] == "tiny"
    assert list(reader.projects) == ["a", "b", "c"]
    assert max(consumed) <= 14
    votes = reader.iter_votes()
    first = next(votes)
    assert first.voter_id == "v1"
    assert max(consumed) == 14
    assert [vote.voter_id for vote in votes] == ["v2", "v3"]
    with pytest.raises(RuntimeError):
        next(reader.iter_votes())


def test_writer_round_trip_and_anonymisation() -> None:
    instance = parse_pb_text(SMALL)
    text = dumps_pb(instance)
    assert '"Park; phase ""II"""' in text
    assert parse_pb_text(text) == instance
    crlf = dumps_pb(instance, line_terminator="\r\n")
    assert crlf.count("\r\n") == text.count("\n")
    assert parse_pb_text(crlf) == instance
    anonymous = parse_pb_text(dumps_pb(instance, anonymise_voters=True))
    assert [vote.voter_id for vote in anonymous.votes] == ["1", "2", "3"]
    assert [vote.vote for vote in anonymous.votes] == [vote.vote for vote in instance.votes]
    assert anonymous.projects == instance.projects and anonymous.meta == instance.meta


def test_voter_groups_ride_in_an_extra_meta_key_and_votes_column() -> None:
    text = SMALL.replace("rule;greedy\n", f"rule;greedy\n{GROUP_WEIGHTS_KEY};citizens:50,committee:40\n")
    text = text.replace("voter_id;vote;age;sex", f"voter_id;vote;age;sex;{GROUP_COLUMN}")
    text = (
        text.replace(";F\n", ";F;citizens\n")
        .replace(";\nv3", ";;committee\nv3")
        .replace(";M\n", ";M;citizens\n")
    )
    instance = parse_pb_text(text)
    weights = parse_group_weights(instance.meta[GROUP_WEIGHTS_KEY])
    assert weights == {"citizens": 50, "committee": 40} and list(weights) == ["citizens", "committee"]
    assert format_group_weights(weights) == "citizens:50,committee:40"
    assert [vote.fields[GROUP_COLUMN] for vote in instance.votes] == ["citizens", "committee", "citizens"]
    written = dumps_pb(instance)
    assert "voter_group_weights;citizens:50,committee:40\n" in written and "v2;a;;;committee\n" in written
    assert parse_pb_text(written) == instance
    assert parse_group_weights(" a : 1 , b:2") == {"a": 1, "b": 2}
    for bad, fragment in (
        ("a:1,a:2", "twice"),
        ("a:0", "positive"),
        ("a:-1", "positive"),
        ("a:1.5", "positive"),
        ("a", "group:weight"),
        (":3", "group:weight"),
        ("a:1,", "group:weight"),
        ("a:²", "positive"),
    ):
        with pytest.raises(ValueError, match=fragment):
            parse_group_weights(bad)


def test_reader_line_no_is_the_vote_just_read() -> None:
    reader = PbReader(io.StringIO(SMALL, newline=""))
    assert [(vote.voter_id, reader.line_no) for vote in reader.iter_votes()] == [
        ("v1", 14),
        ("v2", 15),
        ("v3", 16),
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [(1000, "1000"), (Fraction(2001, 2), "1000.5"), (Fraction(1, 8), "0.125"), (Fraction(30, 1), "30")],
)
def test_amount_text(value: int | Fraction, text: str) -> None:
    assert format_amount(value) == text


def test_amount_without_decimal_expansion_is_refused() -> None:
    with pytest.raises(ValueError, match="decimal"):
        format_amount(Fraction(1, 3))


@pytest.fixture(scope="module", params=REAL_FILES, ids=lambda path: path.stem)
def real_file(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


def test_real_files_are_present() -> None:
    require_shared(PABULIB)
    assert len(REAL_FILES) == 8


def test_real_file_counts_match_meta_and_projects(real_file: Path) -> None:
    instance = parse_pb_file(real_file)
    assert len(instance.projects) == int(instance.meta["num_projects"])
    assert len(instance.votes) == int(instance.meta["num_votes"])
    votes: Counter[str] = Counter()
    for vote in instance.votes:
        votes.update(vote.vote)
    for project in instance.projects.values():
        assert int(project.fields["votes"] or 0) == votes[project.id]


def test_real_file_round_trip(real_file: Path, tmp_path: Path) -> None:
    instance = parse_pb_file(real_file)
    out = tmp_path / real_file.name
    write_pb_file(instance, out)
    assert parse_pb_file(out) == instance
    with out.open(encoding="utf-8", newline="") as stream:
        assert parse_pb_lines(stream) == instance


BATCHED = """META
key;value
budget;100
vote_type;approval
PROJECTS
project_id;cost
a;1
b;2
c;3
VOTES
voter_id;vote;age
v1;a,b;30
v2;b;None
v3;c,a,c;41

v4;a;
v5;"b,
c";52
v6;c,b;
"""


def test_vote_batches_equal_the_votes_and_their_lines() -> None:
    """Clean runs (column by column), repaired and blank lines, a quoted cell over two lines: same votes."""
    for size in (1, 2, 3, 100):
        batches = list(PbReader(io.StringIO(BATCHED, newline=""), repair=True).iter_vote_batches(size))
        flat = [
            (batch.line_nos[i], batch.voter_ids[i], tuple(batch.votes[i]), batch.fields["age"][i])
            for batch in batches
            for i in range(len(batch))
        ]
        reader = PbReader(io.StringIO(BATCHED, newline=""), repair=True)
        votes = [(reader.line_no, v.voter_id, v.vote, v.fields["age"]) for v in reader.iter_votes()]
        assert flat == votes, size
        assert [line for line, *_ in flat] == [12, 13, 14, 16, 18, 19]
        assert votes[2][2] == ("c", "a") and votes[4][2] == ("b", "c") and votes[1][3] is None
