"""Elections: creation and reading.

Ballots and voter rolls are in ballots.py; closing, outcomes and publication in outcomes.py.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.elections import repository
from services.budget.elections.errors import ElectionNotFound, EnvelopeHasElection, InvalidElection
from services.budget.elections.models import Election, ElectionProject, VoterGroup
from services.budget.elections.schemas import (
    BallotRulesOut,
    ElectionCreate,
    ElectionOut,
    ElectionSummary,
    ProjectIn,
    ProjectOut,
    VoterGroupOut,
)
from services.budget.envelopes import service as envelopes
from services.budget.proposals import repository as proposals_repo
from shared.auth import Identity
from shared.db import register_constraint
from shared.pagination import ID, Page, decode_cursor, page_of

# Two creations racing past the check in create_election: the database's partial unique index decides.
register_constraint(
    "uq_elections_envelope_id",
    EnvelopeHasElection,
    "this envelope already has an election; an envelope has one election",
    "body.envelope_id",
    detail_ko="이 예산 한도에는 이미 투표가 있습니다. 예산 한도 하나에 투표는 하나입니다.",
)


def status_of(election: Election, now: datetime) -> str:
    if election.published_at is not None:
        return "published"
    if now < election.opens_at:
        return "scheduled"
    return "open" if now < election.closes_at else "closed"


async def load_election(session: AsyncSession, election_id: int, lock: str | None = None) -> Election:
    election = await repository.get_election(session, election_id, lock=lock)
    if election is None:
        raise ElectionNotFound(election_id)
    return election


async def create_election(session: AsyncSession, *, data: ElectionCreate, actor: Identity) -> ElectionOut:
    cycle_id, budget = data.cycle_id, data.budget_krw
    projects = list(data.projects)
    if data.envelope_id is not None:
        envelope = await envelopes.get_envelope(session, data.envelope_id, field="body.envelope_id")
        existing = await repository.election_of_envelope(session, envelope.id)
        if existing is not None:
            raise EnvelopeHasElection(
                f"envelope {envelope.id} already has election {existing}; an envelope has one election",
                detail_ko=(
                    f"예산 한도 {envelope.id}에는 이미 투표 {existing}이(가) 있습니다. 예산 한도"
                    " 하나에 투표는 하나입니다."
                ),
                field="body.envelope_id",
            )
        cycle_id = cycle_id or envelope.cycle_id
        budget = budget or envelope.amount_krw
        if data.from_shortlist:
            if projects:
                raise InvalidElection(
                    "give projects or from_shortlist, not both",
                    detail_ko="projects와 from_shortlist 중 하나만 지정하십시오.",
                    field="body.projects",
                )
            shortlisted = await proposals_repo.proposals_in_status(session, envelope.id, "shortlisted_2")
            projects = [
                ProjectIn(project_id=str(p.id), name=p.title_ko, cost_krw=p.amount_krw, proposal_id=p.id)
                for p in shortlisted
            ]
    elif data.from_shortlist:
        raise InvalidElection(
            "from_shortlist needs an envelope_id",
            detail_ko="from_shortlist에는 envelope_id가 필요합니다.",
            field="body.envelope_id",
        )
    if not projects:
        raise InvalidElection(
            "an election needs at least one project",
            detail_ko="투표에는 사업이 하나 이상 있어야 합니다.",
            field="body.projects",
        )
    if budget is None:
        raise InvalidElection(
            "give budget_krw or an envelope_id",
            detail_ko="budget_krw 또는 envelope_id를 지정하십시오.",
            field="body.budget_krw",
        )
    rules = data.ballot
    max_total = rules.max_total_cost_krw or (budget if rules.type == "knapsack" else None)
    if data.rule == "greedy-threshold" and "threshold" not in data.rule_params:
        raise InvalidElection(
            "greedy-threshold needs rule_params.threshold",
            detail_ko="greedy-threshold에는 rule_params.threshold가 필요합니다.",
            field="body.rule_params",
        )
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
    election = await load_election(session, election_id)
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
