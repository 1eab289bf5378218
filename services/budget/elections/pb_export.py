"""Export an election as a Pabulib .pb file, voters renumbered 1..n in the order of their hashes.

An election with several voter groups also gets each voter's group in the VOTES column `voter_group` and
the groups' weights in the META key `voter_group_weights`, so that importing the file gives the same
outcome. An election with one group is written exactly as a plain Pabulib file. A native election's
`date_begin` and `date_end` are the Seoul dates of its window, as Pabulib's dates are local.
"""

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.elections import repository
from services.budget.elections.models import Election, ElectionProject, VoterGroup
from services.budget.elections.outcomes import ensure_results_visible
from services.budget.elections.service import load_election
from services.budget.elections.tally import json_amount
from services.budget.outcomes.rules import PABULIB_RULES
from services.budget.pabulib.parser import GROUP_COLUMN, GROUP_WEIGHTS_KEY
from services.budget.pabulib.writer import format_group_weights
from shared.auth import Identity
from shared.seoul import seoul_date

CHUNK_LINES = 2000
NATIVE_RULES = {rule: pabulib for pabulib, rule in PABULIB_RULES.items()}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def export_meta(
    election: Election, n_projects: int, n_votes: int, weights: dict[str, int] | None = None
) -> dict[str, str]:
    """The stored META of an imported election, or one made for a native election; counts refreshed.

    `weights` are the voter groups' weights when the VOTES say each voter's group, else None.
    """
    meta = {str(k): str(v) for k, v in election.meta.items()}
    if election.source == "native":
        meta = {
            "description": election.name_ko,
            "country": "South Korea",
            "unit": "Seoul",
            "instance": str(election.id),
            "currency": election.currency,
            "rule": NATIVE_RULES.get(election.rule, election.rule),
            "date_begin": seoul_date(election.opens_at).isoformat(),
            "date_end": seoul_date(election.closes_at).isoformat(),
        }
        if election.rule == "greedy-threshold" and "threshold" in election.rule_params:
            meta["min_project_score_threshold"] = str(election.rule_params["threshold"])
        for key, value in (
            ("min_length", election.min_length or None),
            ("max_length", election.max_length),
            ("max_sum_cost", election.max_total_cost),
            ("max_sum_points", election.max_points),
        ):
            if value is not None:
                meta[key] = str(json_amount(value))
    meta.update(
        num_projects=str(n_projects),
        num_votes=str(n_votes),
        budget=str(json_amount(election.budget)),
        vote_type=election.ballot_type if election.ballot_type == "cumulative" else "approval",
    )
    if weights:
        meta[GROUP_WEIGHTS_KEY] = format_group_weights(weights)
    return meta


def writes_groups(election: Election, groups: Sequence[VoterGroup]) -> bool:
    """Several groups, or one named in an imported file's META: one plain group is left implicit."""
    return len(groups) > 1 or GROUP_WEIGHTS_KEY in election.meta


async def export_pb(session: AsyncSession, election_id: int, reader: Identity | None) -> Iterator[str]:
    """The election's .pb file, in chunks, for a reader who may see its results (everything is read first)."""
    election = await load_election(session, election_id)
    ensure_results_visible(election, reader)
    projects = await repository.projects_of(session, election_id)
    groups = await repository.groups_of(session, election_id)
    ballots = await repository.ballots_in_export_order(session, election_id)
    return render_pb(election, projects, groups, ballots)


def render_pb(
    election: Election,
    projects: Sequence[ElectionProject],
    groups: Sequence[VoterGroup],
    ballots: Sequence[Any],
) -> Iterator[str]:
    """The .pb text in chunks; ballots are (voter_group, project_ids, points) rows in export order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")

    def flush() -> str:
        chunk = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return chunk

    with_groups = writes_groups(election, groups)
    weights = {g.code: g.weight for g in groups} if with_groups else None
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    for key, value in export_meta(election, len(projects), len(ballots), weights).items():
        writer.writerow([key, value])
    columns = list(election.project_columns) or ["project_id", "cost", "name"]
    extra = [k for p in projects for k in p.fields if k not in columns]
    columns += list(dict.fromkeys(extra))
    writer.writerow(["PROJECTS"])
    writer.writerow(columns)
    for project in projects:
        known = {"project_id": project.project_id, "cost": json_amount(project.cost), "name": project.name}
        writer.writerow([_text(known[c] if c in known else project.fields.get(c)) for c in columns])
    cumulative = election.ballot_type == "cumulative"
    writer.writerow(["VOTES"])
    writer.writerow(
        ["voter_id", "vote", *(["points"] if cumulative else []), *([GROUP_COLUMN] if with_groups else [])]
    )
    yield flush()
    for number, (voter_group, project_ids, points) in enumerate(ballots, start=1):
        row = [str(number), ",".join(project_ids)]
        if cumulative:
            row.append(",".join(str(json_amount(p)) for p in points or ()))
        if with_groups:
            row.append(voter_group)
        writer.writerow(row)
        if number % CHUNK_LINES == 0:
            yield flush()
    yield flush()
