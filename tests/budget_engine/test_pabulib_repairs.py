"""The reader's repairs: a project listed twice in one vote is counted once, or refused in strict mode."""

from pathlib import Path

import pytest

from ops.pb_survey import survey
from services.budget.pabulib.parser import MAX_REPAIRS_LISTED, PbFormatError, PbReader, parse_pb_text

HEAD = "META\nkey;value\nbudget;10\nvote_type;{vote_type}\nPROJECTS\nproject_id;cost\n1;5\n2;5\n3;5\nVOTES\n"


def reader(votes: str, vote_type: str = "approval", repair: bool = True) -> PbReader:
    return PbReader((HEAD.format(vote_type=vote_type) + votes).splitlines(keepends=True), repair=repair)


def test_an_approval_vote_counts_a_repeated_project_once_and_names_the_line() -> None:
    read = reader("voter_id;vote\nv1;1,2\nv2;2,1,2,2\nv3;3,3,1,1\n")
    votes = list(read.iter_votes())
    assert [v.vote for v in votes] == [("1", "2"), ("2", "1"), ("3", "1")]
    assert [(r.line_no, r.message) for r in read.repairs] == [
        (13, "vote lists project '2' twice or more: counted once"),
        (14, "vote lists project '3', '1' twice or more: counted once"),
    ]
    assert read.repair_count == 2


def test_a_points_vote_keeps_the_last_points_as_pabutools_does() -> None:
    read = reader("voter_id;vote;points\nv1;1,2,1;3,2,5\nv2;3;10\n", vote_type="cumulative")
    votes = list(read.iter_votes())
    assert (votes[0].vote, votes[0].points) == (("1", "2"), (5, 2))
    assert (votes[1].vote, votes[1].points) == (("3",), (10,))
    assert [r.line_no for r in read.repairs] == [12]
    assert "'1': 3, 5" in read.repairs[0].message and "last points kept" in read.repairs[0].message


def test_strict_refuses_the_repeated_project_with_its_line() -> None:
    with pytest.raises(PbFormatError) as caught:
        list(reader("voter_id;vote\nv1;1,2\nv2;2,1,2\n", repair=False).iter_votes())
    assert caught.value.line_no == 13 and "'2' twice or more" in caught.value.message
    with pytest.raises(PbFormatError, match="line 12"):
        parse_pb_text(HEAD.format(vote_type="approval") + "voter_id;vote\nv1;1,1\n")


def test_clean_votes_and_what_stays_refused() -> None:
    read = reader("voter_id;vote\nv1;1,2,3\nv2;\nv3;3,\n")
    assert [v.vote for v in read.iter_votes()] == [("1", "2", "3"), (), ("3",)] and read.repairs == []
    # Not safe to repair: which ballot is the voter's, or which project was meant.
    with pytest.raises(PbFormatError, match="duplicate voter_id"):
        list(reader("voter_id;vote\nv1;1\nv1;2\n").iter_votes())
    with pytest.raises(PbFormatError, match="unknown project"):
        list(reader("voter_id;vote\nv1;1,9,1\n").iter_votes())
    with pytest.raises(PbFormatError, match="2 points for 3 projects"):
        list(reader("voter_id;vote;points\nv1;1,2,1;3,2\n", vote_type="cumulative").iter_votes())


@pytest.mark.parametrize("dirty", [MAX_REPAIRS_LISTED - 1, MAX_REPAIRS_LISTED, MAX_REPAIRS_LISTED + 1])
def test_repairs_are_listed_up_to_the_cap_and_all_counted(dirty: int) -> None:
    votes = "".join(f"v{i};1,1\n" for i in range(dirty))
    read = reader("voter_id;vote\n" + votes)
    assert len(list(read.iter_votes())) == dirty
    assert read.repair_count == dirty and len(read.repairs) == min(dirty, MAX_REPAIRS_LISTED)


def test_the_survey_says_clean_repaired_or_refused(tmp_path: Path) -> None:
    head = HEAD.format(vote_type="approval") + "voter_id;vote\n"
    (tmp_path / "a.pb").write_text(head + "v1;1\n")
    (tmp_path / "b.pb").write_text(head + "v1;1\nv2;2,2\n")
    (tmp_path / "c.pb").write_text(head + "v1;1\nv1;2\n")
    assert [survey(p).split(":")[0] for p in sorted(tmp_path.glob("*.pb"))] == [
        "CLEAN     a.pb",
        "REPAIRED  b.pb",
        "REFUSED   c.pb",
    ]
    assert "(lines 13" in survey(tmp_path / "b.pb")
