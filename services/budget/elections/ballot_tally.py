"""The ballots of an election as the greedy rules need them, counted in PostgreSQL.

Greedy reads only each project's supporters and score, and the outcome is stored under the ballots'
digest. A city-wide vote has a million ballots in ~700,000 distinct groups: shipping those groups to
Python to count them and hash them took seconds. Here one query computes the digest (the same sha256 over
the same sorted lines as ``tally.ballot_digest``), each voter group's size and, per voter group and project,
the ballots that support it and the sum of their utilities; the engine instance is built from those.
"""

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import chain, repeat
from operator import add

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.elections.tally import (
    ProjectInfo,
    Utility,
    amount,
    ballot_key,
    digest_of,
    driver_connection,
    tidy,
)
from services.budget.outcomes.instance import Instance
from services.budget.pabulib.votes import no_cyclic_gc

# One line per distinct ballot, as tally.ballot_digest writes it: group, projects, points (each as
# json_amount writes a NUMERIC: trim_scale drops trailing zeros), count; sorted by code point ("C" on UTF-8).
TALLY_SQL = r"""
WITH grouped AS (
    SELECT voter_group, project_ids, points, count(*) AS n
    FROM budget.ballots WHERE election_id = $1
    GROUP BY voter_group, project_ids, points
), sizes AS (
    SELECT voter_group, sum(n)::bigint AS size FROM grouped GROUP BY voter_group
), supports AS (
    SELECT g.voter_group, u.project_id,
           coalesce(sum(g.n) FILTER (WHERE u.pts IS NULL OR u.pts <> 0), 0)::bigint AS votes,
           sum(g.n * coalesce(u.pts, 1)) AS utility
    FROM grouped g, unnest(g.project_ids, g.points) AS u(project_id, pts)
    GROUP BY g.voter_group, u.project_id
)
SELECT
    (SELECT encode(
         sha256(convert_to(coalesce(string_agg(line, E'\n' ORDER BY line COLLATE "C"), ''), 'UTF8')), 'hex')
     FROM (SELECT voter_group || E'\t' || array_to_string(project_ids, ',') || E'\t'
                  || CASE WHEN points IS NULL THEN '' ELSE (
                         SELECT coalesce(string_agg(trim_scale(x)::text, ',' ORDER BY i), '')
                         FROM unnest(points) WITH ORDINALITY AS u(x, i)) END
                  || E'\t' || n AS line
           FROM grouped) lines),
    (SELECT array_agg(voter_group ORDER BY voter_group) FROM sizes),
    (SELECT array_agg(size ORDER BY voter_group) FROM sizes),
    (SELECT array_agg(voter_group ORDER BY voter_group, project_id) FROM supports),
    (SELECT array_agg(project_id ORDER BY voter_group, project_id) FROM supports),
    (SELECT array_agg(votes ORDER BY voter_group, project_id) FROM supports),
    (SELECT array_agg(utility ORDER BY voter_group, project_id) FROM supports)
"""


@dataclass(frozen=True, slots=True)
class BallotTally:
    """What greedy needs of the ballots: their digest, each group's size, each (group, project)'s support."""

    digest: str
    sizes: dict[str, int]
    supports: list[tuple[str, str, int, Decimal]]
    """(voter group, project id, ballots that give it a utility, the sum of those utilities)."""

    @property
    def n_ballots(self) -> int:
        return sum(self.sizes.values())


async def read_tally(session: AsyncSession, election_id: int) -> BallotTally:
    conn = await driver_connection(session)
    # ~700,000 distinct ballots hash in memory with this (for this transaction only), not sorted on disk.
    await conn.execute("SET LOCAL work_mem = '128MB'")
    row = await conn.fetchrow(TALLY_SQL, election_id)
    assert row is not None
    digest, codes, sizes, groups, projects, votes, utilities = row
    return BallotTally(
        digest=digest,
        sizes=dict(zip(codes or (), sizes or (), strict=True)),
        supports=list(zip(groups or (), projects or (), votes or (), utilities or (), strict=True)),
    )


def tally_instance(
    *,
    budget: Decimal,
    ballot_type: str,
    projects: Sequence[ProjectInfo],
    tally: BallotTally,
    weights: Mapping[str, int],
) -> Instance:
    """The engine instance greedy reads (votes and scores, no ballots), as ``tally.engine_election`` makes it.

    One voter group: a project's score is the sum of its utilities. Several: the sum over groups of
    weight x (the group's utilities / the group's voters), exactly."""
    index = {project.project_id: i for i, project in enumerate(projects)}
    weighted = len(weights) > 1
    scale = math.lcm(*tally.sizes.values()) if weighted and tally.sizes else 1
    votes = [0] * len(projects)
    scores: list[Utility] = [0] * len(projects)
    for code, project_id, supporters, utility in tally.supports:
        i = index[project_id]
        votes[i] += supporters
        total = amount(utility)
        scores[i] += Fraction(weights[code] * total, tally.sizes[code]) if weighted else total
    return Instance(
        budget=amount(budget),
        vote_type="cumulative" if ballot_type == "cumulative" else "approval",
        project_ids=tuple(project.project_id for project in projects),
        costs=tuple(amount(project.cost) for project in projects),
        votes=tuple(votes),
        scores=tuple(tidy(score) for score in scores),
        ballots=(),
        n_voters=sum(n * (weights[code] * scale // n if weighted else 1) for code, n in tally.sizes.items()),
    )


def sorted_in_pieces(lines: Iterable[str], width: int = 12) -> list[str]:
    """``sorted(lines)``, as many small sorts: lines are bucketed by their first ``width`` characters (a
    prefix orders like the whole line: s[:w] < t[:w] implies s < t) and each bucket is sorted alone."""
    buckets: defaultdict[str, list[str]] = defaultdict(list)
    for line in lines:
        buckets[line[:width]].append(line)
    result: list[str] = []
    for prefix in sorted(buckets):
        result += sorted(buckets[prefix])
    return result


class ImportTally:
    """Counts an import's ballots as they are copied: the tally kept with the election (migration 0011)."""

    def __init__(self) -> None:
        self.ballots: Counter[str] = Counter()
        """Distinct ballots by their digest line without the count (`tally.ballot_key`)."""
        self.sizes: Counter[str] = Counter()
        self.supporters: Counter[tuple[str, str]] = Counter()
        self.utilities: dict[tuple[str, str], Decimal] = {}

    def add(
        self,
        groups: str | list[str],
        projects: Sequence[Sequence[str]],
        points: list[list[Decimal] | None] | None,
    ) -> None:
        """One batch: `groups` one code for all, or each ballot's; `points` None for approval ballots."""
        if points is None and isinstance(groups, str):  # the common case, column by column
            # ballot_key(groups, joined, None) without a Python call per ballot: "group\tjoined\t"
            joined = map(add, repeat(groups + "\t"), map(",".join, projects))
            self.ballots.update(map(add, joined, repeat("\t")))
            self.sizes[groups] += len(projects)
            for project_id, n in Counter(chain.from_iterable(projects)).items():
                self.supporters[groups, project_id] += n
            return
        codes = repeat(groups) if isinstance(groups, str) else groups
        for code, items, given in zip(codes, projects, points or repeat(None), strict=False):
            self.ballots[ballot_key(code, ",".join(items), given)] += 1
            self.sizes[code] += 1
            for i, project_id in enumerate(items):
                utility = Decimal(1) if given is None else given[i]
                if utility:
                    self.supporters[code, project_id] += 1
                key = (code, project_id)
                self.utilities[key] = self.utilities.get(key, Decimal(0)) + utility

    def tally(self) -> BallotTally:
        """Made in a worker while PostgreSQL still takes ballots: the lines are sorted in pieces, as one
        sort of ~700,000 lines would hold the GIL (and the event loop feeding PostgreSQL) for 0.3-0.8 s."""
        with no_cyclic_gc():
            # digest_of sorts again: a sorted list takes timsort one pass (~30 ms)
            digest = digest_of(sorted_in_pieces(f"{key}\t{n}" for key, n in self.ballots.items()))
        keys = sorted(self.supporters.keys() | self.utilities.keys())
        supports = [
            (code, project_id, self.supporters[code, project_id], self._utility(code, project_id))
            for code, project_id in keys
        ]
        return BallotTally(digest=digest, sizes=dict(self.sizes), supports=supports)

    def _utility(self, code: str, project_id: str) -> Decimal:
        key = (code, project_id)
        return self.utilities[key] if key in self.utilities else Decimal(self.supporters[key])


async def store_tally(session: AsyncSession, election_id: int, tally: BallotTally) -> None:
    """Keep the tally with the election, after its ballots are written (a later change deletes it)."""
    conn = await driver_connection(session)
    await conn.execute(
        "INSERT INTO budget.ballot_tallies (election_id, ballot_digest, sizes, supports)"
        " VALUES ($1, $2, $3::jsonb, $4::jsonb)",
        election_id,
        tally.digest,
        json.dumps(tally.sizes),
        json.dumps(
            [[code, project_id, votes, str(utility)] for code, project_id, votes, utility in tally.supports]
        ),
    )


async def ballot_tally(session: AsyncSession, election_id: int) -> BallotTally:
    """The tally kept since the import, if the ballots have not changed since; else counted now."""
    conn = await driver_connection(session)
    row = await conn.fetchrow(
        "SELECT ballot_digest, sizes::text, supports::text FROM budget.ballot_tallies WHERE election_id = $1",
        election_id,
    )
    if row is None:
        return await read_tally(session, election_id)
    digest, sizes, supports = row
    return BallotTally(
        digest=digest,
        sizes=json.loads(sizes),
        supports=[
            (code, project_id, votes, Decimal(utility))
            for code, project_id, votes, utility in json.loads(supports)
        ],
    )
