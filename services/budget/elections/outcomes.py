"""Closing an election, its outcomes (computed, stored, read) and their publication."""

import json
import logging
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.concurrency import run_in_threadpool

from services.budget.elections import repository
from services.budget.elections.ballot_tally import BallotTally, ballot_tally, tally_instance
from services.budget.elections.computations import OutcomeComputations, OutcomeInputs
from services.budget.elections.errors import (
    AlreadyPublished,
    ElectionClosed,
    ElectionStillOpen,
    OutcomeFailed,
    OutcomeNotPublished,
    PublishedOutcomeMissing,
    ResultsNotPublished,
)
from services.budget.elections.models import Election, OutcomeRecord
from services.budget.elections.published import OutcomeAnswer, PublishedBodies, published_etag
from services.budget.elections.schemas import ElectionOut, OutcomeOut, OutcomeProject
from services.budget.elections.service import get_election, load_election
from services.budget.elections.tally import (
    BallotGroup,
    ProjectInfo,
    ballot_digest,
    decide,
    engine_election,
    json_amount,
    request_key,
)
from services.budget.outcomes.instance import TIE_BREAK_KEYS, OutcomeError
from services.budget.pabulib.parser import Amount
from services.budget.proposals import service as proposals
from shared.auth import Identity, Role
from shared.preconditions import if_none_match_hits

logger = logging.getLogger("budget.outcomes")
RESULT_READERS = frozenset({Role.city_officer, Role.admin, Role.auditor})
"""Roles that see results before publication and compute outcomes under any rule or parameters."""
SNAPSHOT = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
"""The computation's read: ballots, digest, projects and groups as of one moment, writing nothing."""


async def close_election(session: AsyncSession, *, election_id: int) -> ElectionOut:
    """End voting now; waits for ballots being cast (they hold the row's share lock)."""
    election = await load_election(session, election_id, lock="update")
    now = await repository.now(session)
    if now >= election.closes_at:
        raise ElectionClosed(
            f"election {election_id} closed at {election.closes_at.isoformat()}",
            detail_ko=f"투표 {election_id}은(는) {election.closes_at.isoformat()}에 마감되었습니다.",
        )
    election.closes_at = max(now, election.opens_at)
    await session.flush()
    return await get_election(session, election_id)


def ensure_results_visible(election: Election, identity: Identity | None) -> None:
    if election.published_at is None and (identity is None or identity.role not in RESULT_READERS):
        raise ResultsNotPublished(
            f"the results of election {election.id} are not published; until then only city officers"
            " and auditors see them",
            detail_ko=(
                f"투표 {election.id}의 결과는 공표되지 않았습니다. 공표 전까지는 시 공무원과 감사자만"
                " 볼 수 있습니다."
            ),
        )


def _params(election: Election, rule: str, threshold: Decimal | None) -> dict[str, Amount]:
    params: dict[str, Amount] = {}
    if rule == election.rule:
        for key, value in election.rule_params.items():
            params[key] = _exact(value)
    if threshold is not None:
        if rule != "greedy-threshold":
            raise OutcomeFailed(
                f"rule {rule} takes no threshold",
                detail_ko=f"규칙 {rule}에는 threshold를 줄 수 없습니다.",
                field="query.threshold",
            )
        params["threshold"] = _exact(threshold)
    if rule == "greedy-threshold" and "threshold" not in params:
        raise OutcomeFailed(
            "greedy-threshold needs a threshold",
            detail_ko="greedy-threshold에는 threshold가 필요합니다.",
            field="query.threshold",
        )
    return params


def _exact(value: object) -> Amount:
    fraction = Fraction(str(value))
    return fraction.numerator if fraction.denominator == 1 else fraction


async def outcome(
    session: AsyncSession,
    computations: OutcomeComputations,
    *,
    election_id: int,
    rule: str | None,
    threshold: Decimal | None,
    tie_break: Sequence[str] | None,
    identity: Identity | None,
    if_none_match: str | None = None,
    bodies: PublishedBodies | None = None,
    read: AsyncSession | None = None,
    etag: Callable[[int], str] = published_etag,
) -> OutcomeAnswer:
    """Result readers compute (and record) any rule; everyone else reads the published outcome only.

    The published outcome, asked for with its own rule and parameters, is read by the primary key the
    election points at, for every caller: no ballot is read, no digest or engine run. Its ballots cannot
    change after publication (the window is closed and publish() holds the election's row lock against
    ballots being cast; an import writes its ballots before it publishes). Its JSON is kept in `bodies`.
    Reads go through `read` (a session without a transaction, if given: no BEGIN and COMMIT round trips).
    An outcome not stored yet is computed by `computations` (computations.py) outside any transaction: the
    request waits for it up to BUDGET_OUTCOME_WAIT_SECONDS, else StillComputing (202). `session`'s unit of
    work only points an old published election at its outcome. `etag` gives the tag If-None-Match is
    compared with (another one for another representation).
    """
    read = read or session
    election = await load_election(read, election_id)
    ensure_results_visible(election, identity)
    if tie_break is not None:
        unknown = [key for key in tie_break if key not in TIE_BREAK_KEYS]
        if unknown:
            raise OutcomeFailed(
                f"unknown tie-break key(s) {', '.join(unknown)}; use {', '.join(TIE_BREAK_KEYS)}",
                detail_ko=(
                    f"알 수 없는 동점 처리 키입니다: {', '.join(unknown)}. 사용 가능:"
                    f" {', '.join(TIE_BREAK_KEYS)}"
                ),
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
            detail_ko=(
                f"투표 {election.id}은(는) 공표된 결과만 공개됩니다: 규칙 {election.rule},"
                f" 매개변수 {published_params or '없음'}, 동점 처리 {','.join(published_tie_break)}."
                " 다른 규칙과 매개변수는 시 공무원, 감사자, 관리자만 사용할 수 있습니다."
            ),
            field=differs,
        )
    published = election.published_at is not None and differs is None
    if published and election.published_outcome_id is not None:
        record_id = election.published_outcome_id
        if if_none_match_hits(if_none_match, etag(record_id)):
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
    # Done reading: the connection goes back before the computation's snapshot takes one (never two at once).
    await read.close()
    record = await ask_outcome(
        computations,
        election=election,
        rule=rule,
        params=params,
        tie_break=tie_break,
        actor=identity.subject if identity is not None else None,
    )
    if published:
        # Published before outcomes were pointed at (migration 0006): from now on a primary-key read.
        election = await load_election(session, election_id)
        if election.published_outcome_id is None:
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
    digest = (await ballot_tally(session, election.id)).digest
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
            " published before outcomes were recorded at publication (a city officer's read records it)",
            detail_ko=(
                f"투표 {election.id}에 저장된 공표 결과가 없습니다. 규칙으로 결정할 수 없었거나,"
                " 결과를 공표 시점에 기록하기 전에 공표되었습니다(시 공무원이 조회하면 기록됩니다)."
            ),
        )
    return found


async def _read_inputs(
    session: AsyncSession,
    *,
    election: Election,
    rule: str,
    params: dict[str, Amount],
    tie_break: Sequence[str] | None,
    actor: str | None,
) -> OutcomeRecord | OutcomeInputs:
    """The stored outcome of these ballots, or what computing it needs (ballots, projects, groups, digest)."""
    groups: list[BallotGroup] = []
    tally: BallotTally | None = None
    if rule.startswith("mes"):  # MES reads every distinct ballot
        groups = await repository.list_ballot_groups(session, election.id)
        digest, n_ballots = ballot_digest(groups), sum(g.count for g in groups)
    else:  # greedy reads each project's supporters and score: kept since the import, or counted in SQL
        tally = await ballot_tally(session, election.id)
        digest, n_ballots = tally.digest, tally.n_ballots
    key_params, key_tie_break = request_key(rule, params, tie_break)

    async def find(in_session: AsyncSession) -> OutcomeRecord | None:
        return await repository.find_outcome(
            in_session,
            election_id=election.id,
            rule=rule,
            params=key_params,
            tie_break=key_tie_break,
            digest=digest,
        )

    found = await find(session)
    if found is not None:
        return found
    projects = [ProjectInfo(p.project_id, p.cost) for p in await repository.projects_of(session, election.id)]
    weights = {g.code: g.weight for g in await repository.groups_of(session, election.id)}
    compile_election = (
        partial(
            engine_election,
            budget=election.budget,
            ballot_type=election.ballot_type,
            projects=projects,
            groups=groups,
            weights=weights,
            for_mes=True,
        )
        if tally is None
        else partial(
            tally_instance,
            budget=election.budget,
            ballot_type=election.ballot_type,
            projects=projects,
            tally=tally,
            weights=weights,
        )
    )
    decision = partial(
        decide,
        rule=rule,
        params=params,
        tie_break=key_tie_break,
        budget=election.budget,
        compile_election=compile_election,
        n_voters=n_ballots,
        weights=weights,
    )
    return OutcomeInputs(
        key=json.dumps([election.id, rule, key_params, key_tie_break, digest], sort_keys=True, default=str),
        asked=json.dumps([election.id, rule, key_params, key_tie_break], sort_keys=True, default=str),
        election_id=election.id,
        rule=rule,
        digest=digest,
        n_ballots=n_ballots,
        decision=decision,
        values={
            "election_id": election.id,
            "rule": rule,
            "params": key_params,
            "tie_break": key_tie_break,
            "ballot_digest": digest,
            "n_ballots": n_ballots,
            "computed_by": actor,
        },
        find=find,
    )


async def ask_outcome(
    computations: OutcomeComputations,
    *,
    election: Election,
    rule: str,
    params: dict[str, Amount],
    tie_break: Sequence[str] | None,
    actor: str | None,
) -> OutcomeRecord:
    """The stored outcome, or computed in the background (once across replicas) within the request's wait.

    The ballots, projects and groups are read in one snapshot (REPEATABLE READ, READ ONLY) that ends before
    the engine runs; the record is keyed by the digest of the ballots read, so storing it stays right if
    ballots change meanwhile. Raises StillComputing when the wait ends first.
    """
    async with computations.sessionmaker() as session:
        if isinstance(session.bind, AsyncEngine):  # bound to a test's connection: its transaction's snapshot
            await session.connection(execution_options=SNAPSHOT)
        inputs = await _read_inputs(
            session, election=election, rule=rule, params=params, tie_break=tie_break, actor=actor
        )
        await session.commit()
    if isinstance(inputs, OutcomeRecord):
        return inputs
    return await computations.outcome(inputs)


async def compute_and_store(
    session: AsyncSession,
    *,
    election: Election,
    rule: str,
    params: dict[str, Amount],
    tie_break: Sequence[str] | None,
    actor: str | None,
) -> OutcomeRecord:
    """The stored outcome for these ballots, rule, params and tie-break; computed and recorded if new, in
    `session`'s transaction (publish(), which holds the election's row: see record_published_outcome)."""
    inputs = await _read_inputs(
        session, election=election, rule=rule, params=params, tie_break=tie_break, actor=actor
    )
    if isinstance(inputs, OutcomeRecord):
        return inputs
    started = time.perf_counter()
    try:
        # In a worker thread: ballots and reads of the same process must not wait behind the engine.
        computed = await run_in_threadpool(inputs.decision)
    except OutcomeError as exc:
        raise OutcomeFailed(str(exc), detail_ko=f"결과를 계산할 수 없습니다: {exc}") from exc
    await repository.insert_outcome(session, inputs.record(computed))
    stored = await inputs.find(session)
    assert stored is not None
    inputs.log_computed(stored.id, started)
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
    `outcome`). Computed in publish()'s own transaction, which holds the election's row lock, without a claim:
    a reader's background computation of the same outcome waits for that lock before it inserts (see
    repository.insert_outcome), then finds this record (ON CONFLICT DO NOTHING); waiting here for the
    reader's claim instead could wait for long. Publication happens once.
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
    election = await load_election(session, election_id, lock="update")
    if election.published_at is not None:
        raise AlreadyPublished(
            f"election {election_id} was published at {election.published_at.isoformat()}",
            detail_ko=f"투표 {election_id}은(는) {election.published_at.isoformat()}에 공표되었습니다.",
        )
    now = await repository.now(session)
    if now < election.closes_at:
        raise ElectionStillOpen(
            f"election {election_id} closes at {election.closes_at.isoformat()}; publish after",
            detail_ko=(
                f"투표 {election_id}은(는) {election.closes_at.isoformat()}에 마감됩니다. 마감 후에"
                " 공표하십시오."
            ),
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
