"""Elections: creation, the ballot hot path, voter rolls, closing, outcomes and publication."""

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from services.budget.elections import repository
from services.budget.elections.errors import (
    AlreadyPublished,
    ElectionClosed,
    ElectionNotFound,
    ElectionNotOpen,
    ElectionStillOpen,
    EnvelopeHasElection,
    InvalidBallot,
    InvalidElection,
    NoBallot,
    NotAVoter,
    NotEligible,
    OutcomeFailed,
    OutcomeNotPublished,
    PublishedOutcomeMissing,
    ResultsNotPublished,
)
from services.budget.elections.models import Election, ElectionProject, OutcomeRecord, VoterGroup
from services.budget.elections.published import (
    OutcomeAnswer,
    PublishedBodies,
    if_none_match_hits,
    published_etag,
)
from services.budget.elections.schemas import (
    BallotIn,
    BallotOut,
    BallotRulesOut,
    ElectionCreate,
    ElectionOut,
    ElectionSummary,
    OutcomeOut,
    OutcomeProject,
    ProjectIn,
    ProjectOut,
    VoterGroupOut,
    VoterRollIn,
    VoterRollOut,
)
from services.budget.elections.tally import (
    BallotGroup,
    ProjectInfo,
    ballot_digest,
    decide,
    json_amount,
    read_ballot_groups,
    request_key,
)
from services.budget.envelopes import service as envelopes
from services.budget.outcomes.model import TIE_BREAK_KEYS, OutcomeError
from services.budget.pabulib.parser import Amount
from services.budget.proposals import repository as proposals_repo
from services.budget.proposals import service as proposals
from shared.auth import Identity, Role
from shared.db import register_constraint
from shared.pagination import ID, Page, decode_cursor, page_of

RESULT_READERS = frozenset({Role.city_officer, Role.admin, Role.auditor})
"""Roles that see results before publication and compute outcomes under any rule or parameters."""

# Two creations racing past the check in create_election: the database's partial unique index decides.
register_constraint(
    "uq_elections_envelope_id",
    EnvelopeHasElection,
    "this envelope already has an election; an envelope has one election",
    "body.envelope_id",
)


def voter_hash(secret: bytes, election_id: int, subject: str) -> bytes:
    """The only trace of a voter: HMAC-SHA256 keyed with a secret, per election (unlinkable across them)."""
    return hmac.new(secret, f"{election_id}:{subject}".encode(), hashlib.sha256).digest()


def status_of(election: Election, now: datetime) -> str:
    if election.published_at is not None:
        return "published"
    if now < election.opens_at:
        return "scheduled"
    return "open" if now < election.closes_at else "closed"


async def _election(session: AsyncSession, election_id: int, lock: str | None = None) -> Election:
    election = await repository.get_election(session, election_id, lock=lock)
    if election is None:
        raise ElectionNotFound(election_id)
    return election


# --- creation and reading -------------------------------------------------------------------------------


async def create_election(session: AsyncSession, *, data: ElectionCreate, actor: Identity) -> ElectionOut:
    cycle_id, budget = data.cycle_id, data.budget_krw
    projects = list(data.projects)
    if data.envelope_id is not None:
        envelope = await envelopes.get_envelope(session, data.envelope_id, field="body.envelope_id")
        existing = await repository.election_of_envelope(session, envelope.id)
        if existing is not None:
            raise EnvelopeHasElection(
                f"envelope {envelope.id} already has election {existing}; an envelope has one election",
                field="body.envelope_id",
            )
        cycle_id = cycle_id or envelope.cycle_id
        budget = budget or envelope.amount_krw
        if data.from_shortlist:
            if projects:
                raise InvalidElection("give projects or from_shortlist, not both", field="body.projects")
            shortlisted = await proposals_repo.proposals_in_status(session, envelope.id, "shortlisted_2")
            projects = [
                ProjectIn(project_id=str(p.id), name=p.title_ko, cost_krw=p.amount_krw, proposal_id=p.id)
                for p in shortlisted
            ]
    elif data.from_shortlist:
        raise InvalidElection("from_shortlist needs an envelope_id", field="body.envelope_id")
    if not projects:
        raise InvalidElection("an election needs at least one project", field="body.projects")
    if budget is None:
        raise InvalidElection("give budget_krw or an envelope_id", field="body.budget_krw")
    rules = data.ballot
    max_total = rules.max_total_cost_krw or (budget if rules.type == "knapsack" else None)
    if data.rule == "greedy-threshold" and "threshold" not in data.rule_params:
        raise InvalidElection("greedy-threshold needs rule_params.threshold", field="body.rule_params")
    election = Election(
        cycle_id=cycle_id,
        envelope_id=data.envelope_id,
        name_ko=data.name_ko,
        name_en=data.name_en,
        source="native",
        ballot_type=rules.type,
        min_length=rules.min_length,
        max_length=rules.max_length,
        max_total_cost=max_total,
        max_points=rules.max_points,
        budget=budget,
        currency="KRW",
        rule=data.rule,
        rule_params=dict(data.rule_params),
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        meta={},
        project_columns=[],
        created_by=actor.subject,
    )
    await repository.add(session, election)
    await repository.add(
        session,
        *[
            ElectionProject(
                election_id=election.id,
                project_id=p.project_id,
                position=i,
                cost=p.cost_krw,
                name=p.name,
                proposal_id=p.proposal_id,
                fields={},
            )
            for i, p in enumerate(projects)
        ],
        *[
            VoterGroup(
                election_id=election.id,
                code=g.code,
                name_ko=g.name_ko,
                weight=g.weight,
                open=g.open,
                position=i,
            )
            for i, g in enumerate(data.voter_groups)
        ],
    )
    return await get_election(session, election.id)


async def get_election(session: AsyncSession, election_id: int) -> ElectionOut:
    election = await _election(session, election_id)
    projects = await repository.projects_of(session, election_id)
    groups = await repository.groups_of(session, election_id)
    return ElectionOut(
        id=election.id,
        name_ko=election.name_ko,
        name_en=election.name_en,
        cycle_id=election.cycle_id,
        envelope_id=election.envelope_id,
        source=election.source,
        status=status_of(election, await repository.now(session)),
        budget=election.budget,
        currency=election.currency,
        ballot=BallotRulesOut(
            type=election.ballot_type,
            min_length=election.min_length,
            max_length=election.max_length,
            max_total_cost=election.max_total_cost,
            max_points=election.max_points,
        ),
        rule=election.rule,
        rule_params=election.rule_params,
        opens_at=election.opens_at,
        closes_at=election.closes_at,
        published_at=election.published_at,
        voter_groups=[VoterGroupOut.model_validate(g) for g in groups],
        projects=[ProjectOut.model_validate(p) for p in projects],
        meta={str(k): str(v) for k, v in election.meta.items()},
    )


async def list_elections(session: AsyncSession, *, cursor: str | None, limit: int) -> Page[ElectionSummary]:
    key = decode_cursor(cursor, (ID,))
    rows = await repository.list_elections(session, before_id=int(key[0]) if key else None, limit=limit + 1)
    now = await repository.now(session)
    items = [
        ElectionSummary(
            id=e.id,
            name_ko=e.name_ko,
            source=e.source,
            status=status_of(e, now),
            opens_at=e.opens_at,
            closes_at=e.closes_at,
        )
        for e in rows
    ]
    return page_of(items, limit, lambda item: [item.id])


# --- ballots ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BallotConfig:
    """What validating a ballot needs; fixed once the election exists, so cached per process."""

    ballot_type: str
    min_length: int
    max_length: int | None
    max_total_cost: Decimal | None
    max_points: Decimal | None
    positions: dict[str, int]
    costs: dict[str, Decimal]
    open_groups: tuple[str, ...]
    groups: frozenset[str]


class BallotConfigCache:
    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.entries: OrderedDict[int, BallotConfig] = OrderedDict()

    async def get(self, session: AsyncSession, election_id: int) -> BallotConfig:
        config = self.entries.get(election_id)
        if config is None:
            election = await _election(session, election_id)
            projects = await repository.projects_of(session, election.id)
            groups = await repository.groups_of(session, election.id)
            config = BallotConfig(
                ballot_type=election.ballot_type,
                min_length=election.min_length,
                max_length=election.max_length,
                max_total_cost=election.max_total_cost,
                max_points=election.max_points,
                positions={p.project_id: p.position for p in projects},
                costs={p.project_id: p.cost for p in projects},
                open_groups=tuple(g.code for g in groups if g.open),
                groups=frozenset(g.code for g in groups),
            )
            self.entries[election.id] = config
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return config


def validate_ballot(config: BallotConfig, data: BallotIn) -> tuple[list[str], list[Decimal] | None]:
    """Check a ballot against the election's rules; return its items in the election's project order."""
    ids = data.project_ids
    if len(set(ids)) != len(ids):
        raise InvalidBallot("duplicate-project", "the ballot lists a project twice", "body.project_ids")
    unknown = [p for p in ids if p not in config.positions]
    if unknown:
        raise InvalidBallot(
            "unknown-project", f"the election has no project {', '.join(unknown)}", "body.project_ids"
        )
    points: list[Decimal] | None = None
    if config.ballot_type == "cumulative":
        if data.points is None or len(data.points) != len(ids):
            raise InvalidBallot(
                "points-mismatch", "a cumulative ballot gives points to each project it lists", "body.points"
            )
        if any(p <= 0 for p in data.points):
            raise InvalidBallot("points-mismatch", "points must be positive", "body.points")
        assert config.max_points is not None
        if sum(data.points) > config.max_points:
            raise InvalidBallot(
                "too-many-points",
                f"the ballot spends {sum(data.points)} points; at most {json_amount(config.max_points)}",
                "body.points",
            )
        points = [Decimal(p) for p in data.points]
    elif data.points is not None:
        raise InvalidBallot("points-mismatch", f"{config.ballot_type} ballots take no points", "body.points")
    if len(ids) < config.min_length:
        raise InvalidBallot(
            "too-few-projects",
            f"the ballot names {len(ids)} projects; at least {config.min_length}",
            "body.project_ids",
        )
    if config.max_length is not None and len(ids) > config.max_length:
        raise InvalidBallot(
            "too-many-projects",
            f"the ballot names {len(ids)} projects; at most {config.max_length}",
            "body.project_ids",
        )
    if config.max_total_cost is not None:
        total = sum((config.costs[p] for p in ids), Decimal(0))
        if total > config.max_total_cost:
            raise InvalidBallot(
                "over-budget",
                f"the chosen projects cost {total:,f} together; at most {config.max_total_cost:,f}",
                "body.project_ids",
            )
    order = sorted(range(len(ids)), key=lambda i: config.positions[ids[i]])
    return [ids[i] for i in order], None if points is None else [points[i] for i in order]


def _check_window(election_id: int, opens_at: datetime, closes_at: datetime, now: datetime) -> None:
    if now < opens_at:
        raise ElectionNotOpen(f"election {election_id} opens at {opens_at.isoformat()}")
    if now >= closes_at:
        raise ElectionClosed(f"election {election_id} closed at {closes_at.isoformat()}")


async def cast_ballot(
    session: AsyncSession,
    *,
    election_id: int,
    data: BallotIn,
    actor: Identity,
    secret: bytes,
    cache: BallotConfigCache,
) -> BallotOut:
    """Cast or replace the caller's ballot: one transaction, the election row share-locked throughout."""
    window = await repository.window(session, election_id)
    if window is None:
        raise ElectionNotFound(election_id)
    if window.accepting_import:
        raise ElectionClosed(f"election {election_id} is being imported")
    _check_window(election_id, window.opens_at, window.closes_at, window.now)
    config = await cache.get(session, election_id)
    hashed = voter_hash(secret, election_id, actor.subject)
    if actor.role != Role.citizen and await repository.roll_group(session, election_id, hashed) is None:
        raise NotAVoter(
            f"role {actor.role.value} may vote only when enrolled on a voter roll of election {election_id};"
            " ballots are citizens' and enrolled voter-roll members'"
        )
    group = await _voter_group(session, config, election_id, hashed, data.voter_group)
    project_ids, points = validate_ballot(config, data)
    row = await repository.upsert_ballot(
        session,
        election_id=election_id,
        voter_hash=hashed,
        voter_group=group,
        project_ids=project_ids,
        points=points,
    )
    return _ballot_out(election_id, row)


async def _voter_group(
    session: AsyncSession, config: BallotConfig, election_id: int, hashed: bytes, asked: str | None
) -> str:
    if asked is not None and asked not in config.groups:
        raise InvalidBallot(
            "unknown-voter-group", f"the election has no voter group {asked}", "body.voter_group"
        )
    on_roll = None
    if len(config.open_groups) < len(config.groups):
        on_roll = await repository.roll_group(session, election_id, hashed)
    if on_roll is not None:
        if asked is not None and asked != on_roll:
            raise NotEligible(f"you are on the voter roll of group {on_roll}, not {asked}")
        return on_roll
    if asked is not None:
        if asked not in config.open_groups:
            raise NotEligible(f"voter group {asked} is closed and you are not on its voter roll")
        return asked
    if not config.open_groups:
        raise NotEligible(
            f"election {election_id} has only closed voter groups and you are on none of their rolls"
        )
    return config.open_groups[0]


def _ballot_out(election_id: int, row: Any) -> BallotOut:
    return BallotOut(
        election_id=election_id,
        voter_group=row.voter_group,
        project_ids=list(row.project_ids),
        points=None if row.points is None else [int(p) for p in row.points],
        cast_at=row.cast_at,
        revision=row.revision,
    )


async def my_ballot(session: AsyncSession, *, election_id: int, actor: Identity, secret: bytes) -> BallotOut:
    await _election(session, election_id)
    row = await repository.get_ballot(session, election_id, voter_hash(secret, election_id, actor.subject))
    if row is None:
        raise NoBallot(f"you have no ballot in election {election_id}")
    return _ballot_out(election_id, row)


async def add_to_roll(
    session: AsyncSession, *, election_id: int, data: VoterRollIn, actor: Identity, secret: bytes
) -> VoterRollOut:
    """Admit voters to a closed group; only their keyed hashes are stored."""
    await _election(session, election_id)
    groups = {g.code: g for g in await repository.groups_of(session, election_id)}
    if data.voter_group not in groups:
        raise InvalidElection(
            f"election {election_id} has no voter group {data.voter_group}", field="body.voter_group"
        )
    hashes = sorted({voter_hash(secret, election_id, subject) for subject in data.subjects})
    added = await repository.add_to_roll(session, election_id, data.voter_group, hashes, actor.subject)
    return VoterRollOut(voter_group=data.voter_group, added=added)


# --- closing, outcomes, publication -------------------------------------------------------------------------


async def close_election(session: AsyncSession, *, election_id: int) -> ElectionOut:
    """End voting now; waits for ballots being cast (they hold the row's share lock)."""
    election = await _election(session, election_id, lock="update")
    now = await repository.now(session)
    if now >= election.closes_at:
        raise ElectionClosed(f"election {election_id} closed at {election.closes_at.isoformat()}")
    election.closes_at = max(now, election.opens_at)
    await session.flush()
    return await get_election(session, election_id)


def ensure_results_visible(election: Election, identity: Identity | None) -> None:
    if election.published_at is None and (identity is None or identity.role not in RESULT_READERS):
        raise ResultsNotPublished(
            f"the results of election {election.id} are not published; until then only city officers"
            " and auditors see them"
        )


def _params(election: Election, rule: str, threshold: Decimal | None) -> dict[str, Amount]:
    params: dict[str, Amount] = {}
    if rule == election.rule:
        for key, value in election.rule_params.items():
            params[key] = _exact(value)
    if threshold is not None:
        if rule != "greedy-threshold":
            raise OutcomeFailed(f"rule {rule} takes no threshold", field="query.threshold")
        params["threshold"] = _exact(threshold)
    if rule == "greedy-threshold" and "threshold" not in params:
        raise OutcomeFailed("greedy-threshold needs a threshold", field="query.threshold")
    return params


def _exact(value: object) -> Amount:
    fraction = Fraction(str(value))
    return fraction.numerator if fraction.denominator == 1 else fraction


async def outcome(
    session: AsyncSession,
    *,
    election_id: int,
    rule: str | None,
    threshold: Decimal | None,
    tie_break: Sequence[str] | None,
    identity: Identity | None,
    if_none_match: str | None = None,
    bodies: PublishedBodies | None = None,
    read: AsyncSession | None = None,
) -> OutcomeAnswer:
    """Result readers compute (and record) any rule; everyone else reads the published outcome only.

    The published outcome, asked for with its own rule and parameters, is read by the primary key the
    election points at, for every caller: no ballot is read, no digest or engine run. Its ballots cannot
    change after publication (the window is closed and publish() holds the election's row lock against
    ballots being cast; an import writes its ballots before it publishes). Its JSON is kept in `bodies`.
    Reads go through `read` (a session without a transaction, if given: no BEGIN and COMMIT round trips);
    computing and recording an outcome goes through `session`, whose unit of work starts only then.
    """
    read = read or session
    election = await _election(read, election_id)
    ensure_results_visible(election, identity)
    if tie_break is not None:
        unknown = [key for key in tie_break if key not in TIE_BREAK_KEYS]
        if unknown:
            raise OutcomeFailed(
                f"unknown tie-break key(s) {', '.join(unknown)}; use {', '.join(TIE_BREAK_KEYS)}",
                field="query.tie_break",
            )
    rule = rule or election.rule
    params = _params(election, rule, threshold)
    reader = identity is not None and identity.role in RESULT_READERS
    differs = _differs_from_published(election, rule, params, tie_break)
    if differs is not None and not reader:
        published_params, published_tie_break = _published_key(election)
        raise OutcomeNotPublished(
            f"only the published outcome of election {election.id} is public: rule {election.rule}"
            f" with {published_params or 'no parameters'}, tie-break {','.join(published_tie_break)};"
            " other rules and parameters are for city officers, auditors and admins",
            field=differs,
        )
    published = election.published_at is not None and differs is None
    if published and election.published_outcome_id is not None:
        record_id = election.published_outcome_id
        if if_none_match_hits(if_none_match, published_etag(record_id)):
            return OutcomeAnswer(record_id, True, None)
        body = bodies.get(record_id) if bodies is not None else None
        if body is None:
            stored = await read.get(OutcomeRecord, record_id)
            assert stored is not None  # a foreign key
            body = outcome_json(stored)
            if bodies is not None:
                bodies.put(record_id, body)
        return OutcomeAnswer(record_id, True, body)
    if not reader:
        record = await published_outcome(read, election)
        return OutcomeAnswer(record.id, True, outcome_json(record))
    if read is not session:
        # Done reading: its connection goes back before the unit of work takes one (never two at once).
        await read.close()
        election = await _election(session, election_id)
    record = await compute_and_store(
        session,
        election=election,
        rule=rule,
        params=params,
        tie_break=tie_break,
        actor=identity.subject if identity is not None else None,
    )
    if published:
        # Published before outcomes were pointed at (migration 0006): from now on a primary-key read.
        election.published_outcome_id = record.id
        await session.flush()
    return OutcomeAnswer(record.id, published, outcome_json(record))


def _published_key(election: Election) -> tuple[dict[str, Any], list[str]]:
    return request_key(election.rule, _params(election, election.rule, None), None)


def _differs_from_published(
    election: Election, rule: str, params: dict[str, Amount], tie_break: Sequence[str] | None
) -> str | None:
    """The query parameter that makes this request other than the published outcome's, if any."""
    published_params, published_tie_break = _published_key(election)
    asked_params, asked_tie_break = request_key(rule, params, tie_break)
    if rule != election.rule:
        return "query.rule"
    if asked_params != published_params:
        return "query.threshold"
    if asked_tie_break != published_tie_break:
        return "query.tie_break"
    return None


async def published_outcome(session: AsyncSession, election: Election) -> OutcomeRecord:
    """The outcome recorded at publication of an election without a pointer to it; never computed.

    Only elections published before migration 0006 (or whose rule could not decide them) come here: this
    reads every ballot to find the outcome by its digest. A read that could compute would let any caller
    store a new outcome row per new parameter value.
    """
    published_params, published_tie_break = _published_key(election)
    digest = ballot_digest(await read_ballot_groups(session, election.id))
    found = await repository.find_outcome(
        session,
        election_id=election.id,
        rule=election.rule,
        params=published_params,
        tie_break=published_tie_break,
        digest=digest,
    )
    if found is None:
        raise PublishedOutcomeMissing(
            f"election {election.id} has no stored published outcome: its rule could not decide it, or it was"
            " published before outcomes were recorded at publication (a city officer's read records it)"
        )
    return found


async def compute_and_store(
    session: AsyncSession,
    *,
    election: Election,
    rule: str,
    params: dict[str, Amount],
    tie_break: Sequence[str] | None,
    actor: str | None,
) -> OutcomeRecord:
    """The stored outcome for these ballots, rule, params and tie-break; computed and recorded if new."""
    groups: list[BallotGroup] = await read_ballot_groups(session, election.id)
    digest = ballot_digest(groups)
    key_params, key_tie_break = request_key(rule, params, tie_break)
    found = await repository.find_outcome(
        session, election_id=election.id, rule=rule, params=key_params, tie_break=key_tie_break, digest=digest
    )
    if found is not None:
        return found
    projects = [ProjectInfo(p.project_id, p.cost) for p in await repository.projects_of(session, election.id)]
    weights = {g.code: g.weight for g in await repository.groups_of(session, election.id)}
    # In a worker thread: MES on a large election takes up to a second or two, and ballots and reads of the
    # same process must not wait behind it (the C kernel releases the GIL while it runs).
    decision = partial(
        decide,
        rule=rule,
        params=params,
        tie_break=key_tie_break,
        budget=election.budget,
        ballot_type=election.ballot_type,
        projects=projects,
        groups=groups,
        weights=weights,
    )
    try:
        computed = await run_in_threadpool(decision)
    except OutcomeError as exc:
        raise OutcomeFailed(str(exc)) from exc
    await repository.insert_outcome(
        session,
        {
            "election_id": election.id,
            "rule": rule,
            "params": key_params,
            "tie_break": key_tie_break,
            "ballot_digest": digest,
            "n_ballots": sum(g.count for g in groups),
            "selected": computed.selected,
            "total_cost": computed.total_cost,
            "projects": computed.projects,
            "details": computed.details,
            "computed_by": actor,
        },
    )
    stored = await repository.find_outcome(
        session, election_id=election.id, rule=rule, params=key_params, tie_break=key_tie_break, digest=digest
    )
    assert stored is not None
    return stored


def outcome_json(record: OutcomeRecord) -> bytes:
    return outcome_out(record).model_dump_json(by_alias=True).encode()


def outcome_out(record: OutcomeRecord) -> OutcomeOut:
    return OutcomeOut(
        id=record.id,
        election_id=record.election_id,
        rule=record.rule,
        params=record.params,
        tie_break=record.tie_break,
        ballot_digest=record.ballot_digest,
        n_ballots=record.n_ballots,
        selected=record.selected,
        total_cost=json_amount(record.total_cost),
        projects=[OutcomeProject(**row) for row in record.projects],
        details=record.details,
        computed_at=record.computed_at,
    )


async def record_published_outcome(
    session: AsyncSession, election: Election, actor: Identity
) -> OutcomeRecord:
    """The outcome of the election's own rule and parameters, recorded when its results become public.

    Callers without a result reader's role read only this record, by the id the election keeps (see
    `outcome`).
    """
    record = await compute_and_store(
        session,
        election=election,
        rule=election.rule,
        params=_params(election, election.rule, None),
        tie_break=None,
        actor=actor.subject,
    )
    election.published_outcome_id = record.id
    return record


async def publish(session: AsyncSession, *, election_id: int, actor: Identity) -> ElectionOut:
    """Publish the results of a closed election; a shortlist election also decides its proposals."""
    election = await _election(session, election_id, lock="update")
    if election.published_at is not None:
        raise AlreadyPublished(f"election {election_id} was published at {election.published_at.isoformat()}")
    now = await repository.now(session)
    if now < election.closes_at:
        raise ElectionStillOpen(
            f"election {election_id} closes at {election.closes_at.isoformat()}; publish after"
        )
    record = await record_published_outcome(session, election, actor)
    if election.envelope_id is not None:
        projects = await repository.projects_of(session, election_id)
        chosen = set(record.selected)
        selected = {p.proposal_id for p in projects if p.proposal_id is not None and p.project_id in chosen}
        await proposals.decide(
            session,
            proposal_ids_selected=selected,
            envelope_id=election.envelope_id,
            actor=actor,
            reason=f"election {election_id}, outcome {record.id} ({record.rule})",
        )
    election.published_at = now
    election.published_by = actor.subject
    await session.flush()
    return await get_election(session, election_id)
