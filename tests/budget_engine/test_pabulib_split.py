"""The C splitter of clean VOTES lines (``_votes.split_clean``) against the Python path it accelerates."""

from pathlib import Path

import pytest

from services.budget.pabulib import PbFormatError, parse_pb_file, parse_pb_text
from services.budget.pabulib import votes as votes_module
from services.budget.pabulib.votes import VoteLayout, clean_batch
from tests.conftest import SHARED_DIR

split_clean = votes_module.split_clean
needs_c = pytest.mark.skipif(split_clean is None, reason="the C splitter is not built (no compiler)")
PROJECTS = {"a": None, "b": None, "c d": None, "Ł1": None}
LAYOUT = VoteLayout(4, 0, 1, None, ((2, "age"), (3, "sex")))

CASES = {
    "clean": ["v1;a,b;30;F\n", "v2;b;None;\n", "v3;c d;41;M\r\n", "v4;a;;F"],
    "spaces stripped": [" v1 ;a; 30 ;\tF\x1c\n", "v2;b;  None ;\x0b\n"],
    "CR only": ["v1;a;1;F\r", "v2;b;2;M\r"],
    "space in a vote": ["v1;a, b;30;F\n"],
    "empty vote": ["v1;;30;F\n"],
    "unknown project": ["v1;a,z;30;F\n"],
    "project twice": ["v1;a,b,a;30;F\n"],
    "empty voter id": ["  ;a;30;F\n"],
    "voter twice": ["v1;a;30;F\n", "v1;b;31;M\n"],
    "voter of an earlier batch": ["v9;a;30;F\n"],
    "too wide": ["v1;a;30;F;x\n"],
    "too narrow": ["v1;a;30\n"],
    "blank line": ["v1;a;30;F\n", "\n"],
    "non-ASCII": ["v1;Ł1;30;F\n"],
    "non-ASCII field": ["v1;a;30;Żoliborz\n", "v2;b;30;Żoliborz\n", "v3;b;30;Ż\n"],
    "unicode spaces": ["\u3000v1\u2003;a;\u00a030;Ż\u00a0\u205f\n", "v2;b;30;\u0085\n"],
    "not a space": ["v1\u200b;a;30;\u00c5\n"],
    "lone surrogate": ["v1;a;30;\udc80\n"],
}
REFUSED = {
    "space in a vote",
    "empty vote",
    "unknown project",
    "project twice",
    "empty voter id",
    "voter twice",
    "voter of an earlier batch",
    "too wide",
    "too narrow",
    "blank line",
    "lone surrogate",
}


@needs_c
@pytest.mark.parametrize("case", CASES)
def test_c_splitter_accepts_only_what_python_accepts(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = CASES[case]
    c_seen, py_seen = {"v9"}, {"v9"}
    in_c = clean_batch(list(lines), 5, LAYOUT, PROJECTS.keys(), c_seen)
    monkeypatch.setattr(votes_module, "split_clean", None)
    in_python = clean_batch(list(lines), 5, LAYOUT, PROJECTS.keys(), py_seen)
    assert c_seen == py_seen
    assert (in_c is None) == (in_python is None)
    # The C splitter may refuse more (a lone surrogate): the Python path then reads those lines.
    accepted = split_clean(list(lines), 4, 0, 1, (2, 3), tuple(PROJECTS), {"v9"}, False) is not None
    assert accepted == (case not in REFUSED)
    if in_c is not None and in_python is not None:
        assert list(in_c.line_nos) == list(in_python.line_nos)
        assert in_c.voter_ids == in_python.voter_ids
        assert list(map(tuple, in_c.votes)) == list(map(tuple, in_python.votes))
        assert in_c.fields == in_python.fields


@needs_c
def test_c_splitter_leaves_seen_as_it_was_when_it_refuses() -> None:
    seen = {"v9"}
    lines = ["v1;a;30;F\n", "v2;b;31;M\n", "v3;z;32;F\n"]
    assert split_clean(lines, 4, 0, 1, (2, 3), tuple(PROJECTS), seen, False) is None
    assert seen == {"v9"}
    ids, ballots, (ages, sexes) = split_clean(lines[:2], 4, 0, 1, (2, 3), tuple(PROJECTS), seen, False)
    assert seen == {"v9", "v1", "v2"} and ids == ["v1", "v2"] and ballots == [("a",), ("b",)]
    assert ages == ["30", "31"] and sexes == ["F", "M"]


def test_c_splitter_orders_projects_as_the_projects_section_when_asked() -> None:
    lines = ["v1;Ł1,b,a;30;F\n", "v2;c d,a;31;M\n", "v3;b;32;F\n"]
    ordered = clean_batch(lines, 5, LAYOUT, PROJECTS.keys(), set(), project_order=True)
    in_file = clean_batch(lines, 5, LAYOUT, PROJECTS.keys(), set())
    assert in_file is not None and not in_file.in_project_order
    assert list(map(tuple, in_file.votes)) == [("Ł1", "b", "a"), ("c d", "a"), ("b",)]
    assert ordered is not None
    if split_clean is not None:
        assert ordered.in_project_order
        assert ordered.votes == [("a", "b", "Ł1"), ("a", "c d"), ("b",)]
    else:
        assert not ordered.in_project_order and ordered.votes == in_file.votes


TEXT = """META
key;value
budget;100
PROJECTS
project_id;cost
a;1
b;2
VOTES
voter_id;vote;age
{votes}"""


@pytest.mark.parametrize("built", [True, False], ids=["C", "Python"])
def test_errors_and_repairs_keep_their_line_either_way(built: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not built:
        monkeypatch.setattr(votes_module, "split_clean", None)
    clean = "".join(f"v{i};a,b;{i}\n" for i in range(30))
    assert len(parse_pb_text(TEXT.format(votes=clean)).votes) == 30
    for bad, message in (("v3;a;1\n", "duplicate voter_id 'v3'"), ("x;a,a;1\n", "twice or more")):
        with pytest.raises(PbFormatError) as raised:
            parse_pb_text(TEXT.format(votes=clean + bad + clean.replace("v", "w")))
        assert raised.value.line_no == 40 and message in raised.value.message


def test_real_files_parse_the_same_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted((SHARED_DIR / "data" / "pabulib").glob("*.pb"))
    if not files:
        pytest.skip("no Pabulib files")
    built = [parse_pb_file(path) for path in files]
    monkeypatch.setattr(votes_module, "split_clean", None)
    for path, instance in zip(files, built, strict=True):
        python = parse_pb_file(Path(path))
        assert python == instance, path.name
        assert python.votes[-1] == instance.votes[-1] and list(python.votes[:2]) == instance.votes[:2]


def test_parsed_votes_are_a_sequence_of_pbvotes() -> None:
    instance = parse_pb_text(TEXT.format(votes="v1;a,b;30\nv2;b;\n"))
    assert len(instance.votes) == 2 and instance.votes[1].fields == {"age": None}
    assert [vote.voter_id for vote in instance.votes] == ["v1", "v2"]
    assert instance.votes == list(instance.votes) and instance.votes[::-1][0].vote == ("b",)
