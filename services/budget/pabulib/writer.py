"""Write a :class:`PbInstance` back to Pabulib ``.pb`` text."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

from .parser import Amount, PbInstance, PbProject, PbVote


def format_amount(value: Amount) -> str:
    """Exact decimal text of an amount: ``1000``, ``1000.5``; refuses non-decimal fractions."""
    if isinstance(value, int):
        return str(value)
    numerator, denominator = value.numerator, value.denominator
    if denominator == 1:
        return str(numerator)
    twos = fives = 0
    rest = denominator
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        raise ValueError(f"{value} has no finite decimal expansion")
    digits = max(twos, fives)
    scaled = abs(numerator) * 10**digits // denominator
    sign = "-" if numerator < 0 else ""
    whole, fraction = divmod(scaled, 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}".rstrip("0").rstrip(".")


def format_group_weights(weights: Mapping[str, int]) -> str:
    """The META value of voter groups and their weights: ``citizens:50,committee:40,school:10``."""
    return ",".join(f"{code}:{weight}" for code, weight in weights.items())


def write_pb(
    instance: PbInstance,
    out: TextIO,
    *,
    anonymise_voters: bool = False,
    line_terminator: str = "\n",
) -> None:
    """Write META, PROJECTS and VOTES; ``anonymise_voters`` renames voters 1, 2, 3, ..."""
    writer = csv.writer(out, delimiter=";", quotechar='"', lineterminator=line_terminator)
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows(instance.meta.items())
    project_columns = _project_columns(instance)
    writer.writerow(["PROJECTS"])
    writer.writerow(project_columns)
    writer.writerows(_project_row(project, project_columns) for project in instance.projects.values())
    vote_columns = _vote_columns(instance)
    writer.writerow(["VOTES"])
    writer.writerow(vote_columns)
    writer.writerows(_vote_rows(instance.votes, vote_columns, anonymise_voters))


def dumps_pb(instance: PbInstance, *, anonymise_voters: bool = False, line_terminator: str = "\n") -> str:
    """The ``.pb`` text of ``instance``."""
    buffer = io.StringIO(newline="")
    write_pb(instance, buffer, anonymise_voters=anonymise_voters, line_terminator=line_terminator)
    return buffer.getvalue()


def write_pb_file(
    instance: PbInstance,
    path: str | os.PathLike[str],
    *,
    anonymise_voters: bool = False,
    line_terminator: str = "\n",
) -> None:
    """Write ``instance`` to ``path`` as UTF-8."""
    with Path(path).open("w", encoding="utf-8", newline="") as stream:
        write_pb(instance, stream, anonymise_voters=anonymise_voters, line_terminator=line_terminator)


def _project_columns(instance: PbInstance) -> list[str]:
    columns = list(instance.project_columns) or ["project_id", "cost", "name"]
    for project in instance.projects.values():
        if project.name is not None and "name" not in columns:
            columns.append("name")
        columns.extend(key for key in project.fields if key not in columns)
    return columns


def _vote_columns(instance: PbInstance) -> list[str]:
    columns = list(instance.vote_columns) or ["voter_id", "vote"]
    if any(vote.points is not None for vote in instance.votes) and "points" not in columns:
        columns.insert(columns.index("vote") + 1, "points")
    for vote in instance.votes:
        columns.extend(key for key in vote.fields if key not in columns)
    return columns


def _cell(value: str | None) -> str:
    return "" if value is None else value


def _project_row(project: PbProject, columns: list[str]) -> list[str]:
    known = {"project_id": project.id, "cost": format_amount(project.cost), "name": _cell(project.name)}
    return [known[c] if c in known else _cell(project.fields.get(c)) for c in columns]


def _vote_rows(votes: Iterable[PbVote], columns: list[str], anonymise: bool) -> Iterator[list[str]]:
    for number, vote in enumerate(votes, start=1):
        known = {
            "voter_id": str(number) if anonymise else vote.voter_id,
            "vote": ",".join(vote.vote),
            "points": "" if vote.points is None else ",".join(format_amount(p) for p in vote.points),
        }
        yield [known[c] if c in known else _cell(vote.fields.get(c)) for c in columns]
