"""Ballots: the hot path of casting one, reading one's own, and the voter rolls of closed groups."""

import hashlib
import hmac
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.elections import repository
from services.budget.elections.errors import (
    ElectionClosed,
    ElectionNotFound,
    ElectionNotOpen,
    InvalidBallot,
    InvalidElection,
    NoBallot,
    NotAVoter,
    NotEligible,
)
from services.budget.elections.schemas import BallotIn, BallotOut, VoterRollIn, VoterRollOut
from services.budget.elections.service import load_election
from services.budget.elections.tally import json_amount
from shared.auth import Identity, Role
from shared.problems import ProblemError


def voter_hash(secret: bytes, election_id: int, subject: str) -> bytes:
    """The only trace of a voter: HMAC-SHA256 keyed with a secret, per election (unlinkable across them)."""
    return hmac.new(secret, f"{election_id}:{subject}".encode(), hashlib.sha256).digest()


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

    async def get(self, connection: asyncpg.Connection, election_id: int) -> BallotConfig:
        config = self.entries.get(election_id)
        if config is None:
            found = await repository.ballot_rules(connection, election_id)
            if found is None:
                raise ElectionNotFound(election_id)
            election, projects, groups = found
            config = BallotConfig(
                ballot_type=election.ballot_type,
                min_length=election.min_length,
                max_length=election.max_length,
                max_total_cost=election.max_total_cost,
                max_points=election.max_points,
                positions={p["project_id"]: p["position"] for p in projects},
                costs={p["project_id"]: p["cost"] for p in projects},
                open_groups=tuple(g["code"] for g in groups if g["open"]),
                groups=frozenset(g["code"] for g in groups),
            )
            self.entries[election_id] = config
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return config


def validate_ballot(config: BallotConfig, data: BallotIn) -> tuple[list[str], list[Decimal] | None]:
    """Check a ballot against the election's rules; return its items in the election's project order."""
    ids = data.project_ids
    if len(set(ids)) != len(ids):
        raise InvalidBallot(
            "duplicate-project",
            "the ballot lists a project twice",
            "body.project_ids",
            detail_ko="투표지에 같은 사업이 두 번 있습니다.",
        )
    unknown = [p for p in ids if p not in config.positions]
    if unknown:
        raise InvalidBallot(
            "unknown-project",
            f"the election has no project {', '.join(unknown)}",
            "body.project_ids",
            detail_ko=f"이 투표에는 사업 {', '.join(unknown)}이(가) 없습니다.",
        )
    points: list[Decimal] | None = None
    if config.ballot_type == "cumulative":
        if data.points is None or len(data.points) != len(ids):
            raise InvalidBallot(
                "points-mismatch",
                "a cumulative ballot gives points to each project it lists",
                "body.points",
                detail_ko="누적 투표지는 나열한 사업마다 점수를 주어야 합니다.",
            )
        if any(p <= 0 for p in data.points):
            raise InvalidBallot(
                "points-mismatch",
                "points must be positive",
                "body.points",
                detail_ko="점수는 양수여야 합니다.",
            )
        assert config.max_points is not None
        if sum(data.points) > config.max_points:
            raise InvalidBallot(
                "too-many-points",
                f"the ballot spends {sum(data.points)} points; at most {json_amount(config.max_points)}",
                "body.points",
                detail_ko=(
                    f"투표지가 {sum(data.points)}점을 사용합니다. 최대"
                    f" {json_amount(config.max_points)}점까지 쓸 수 있습니다."
                ),
            )
        points = [Decimal(p) for p in data.points]
    elif data.points is not None:
        raise InvalidBallot(
            "points-mismatch",
            f"{config.ballot_type} ballots take no points",
            "body.points",
            detail_ko=f"{config.ballot_type} 투표지에는 점수를 줄 수 없습니다.",
        )
    if len(ids) < config.min_length:
        raise InvalidBallot(
            "too-few-projects",
            f"the ballot names {len(ids)} projects; at least {config.min_length}",
            "body.project_ids",
            detail_ko=f"투표지에 사업이 {len(ids)}개 있습니다. 최소 {config.min_length}개를 골라야 합니다.",
        )
    if config.max_length is not None and len(ids) > config.max_length:
        raise InvalidBallot(
            "too-many-projects",
            f"the ballot names {len(ids)} projects; at most {config.max_length}",
            "body.project_ids",
            detail_ko=(
                f"투표지에 사업이 {len(ids)}개 있습니다. 최대 {config.max_length}개까지 고를 수 있습니다."
            ),
        )
    if config.max_total_cost is not None:
        total = sum((config.costs[p] for p in ids), Decimal(0))
        if total > config.max_total_cost:
            raise InvalidBallot(
                "over-budget",
                f"the chosen projects cost {total:,f} together; at most {config.max_total_cost:,f}",
                "body.project_ids",
                detail_ko=(
                    f"선택한 사업의 비용 합계가 {total:,f}입니다. 최대 {config.max_total_cost:,f}까지"
                    " 가능합니다."
                ),
            )
    order = sorted(range(len(ids)), key=lambda i: config.positions[ids[i]])
    return [ids[i] for i in order], None if points is None else [points[i] for i in order]


def _check_window(election_id: int, opens_at: datetime, closes_at: datetime, now: datetime) -> None:
    if now < opens_at:
        raise ElectionNotOpen(
            f"election {election_id} opens at {opens_at.isoformat()}",
            detail_ko=f"투표 {election_id}은(는) {opens_at.isoformat()}에 시작합니다.",
        )
    if now >= closes_at:
        raise ElectionClosed(
            f"election {election_id} closed at {closes_at.isoformat()}",
            detail_ko=f"투표 {election_id}은(는) {closes_at.isoformat()}에 마감되었습니다.",
        )


def _check_open(election_id: int, window: Any) -> None:
    """Raise why the election takes no ballot now (missing, being imported, not yet open, closed), if so."""
    if window is None:
        raise ElectionNotFound(election_id)
    if window.accepting_import:
        raise ElectionClosed(
            f"election {election_id} is being imported",
            detail_ko=f"투표 {election_id}은(는) 가져오는 중입니다.",
        )
    _check_window(election_id, window.opens_at, window.closes_at, window.now)


async def cast_ballot(
    connection: asyncpg.Connection,
    *,
    election_id: int,
    data: BallotIn,
    actor: Identity,
    secret: bytes,
    cache: BallotConfigCache,
) -> BallotOut:
    """Cast or replace the caller's ballot: one round trip to PostgreSQL in the common case.

    The rules that need no lock are checked first, from the cached ballot rules (and the voter roll when the
    caller is not a citizen or the election has closed groups); then one statement share-locks the election
    row, checks the window and upserts the ballot, atomically (no transaction is open on the connection:
    shared.driver); when it casts nothing, the window is read to say why. When a check fails, the window is
    read first, so that a closed election still answers as closed whatever the ballot.
    """
    hashed = voter_hash(secret, election_id, actor.subject)
    try:
        config = await cache.get(connection, election_id)
        enrolled = actor.role == Role.citizen or (
            await repository.roll_group_of(connection, election_id, hashed) is not None
        )
        if not enrolled:
            raise NotAVoter(
                f"role {actor.role.value} may vote only when enrolled on a voter roll of election"
                f" {election_id}; ballots are citizens' and enrolled voter-roll members'",
                detail_ko=(
                    f"{actor.role.value} 역할은 투표 {election_id}의 선거인 명부에 등록된 경우에만 투표할 수"
                    " 있습니다."
                    " 투표는 시민과 선거인 명부 등록자만 할 수 있습니다."
                ),
            )
        group = await _voter_group(connection, config, election_id, hashed, data.voter_group)
        project_ids, points = validate_ballot(config, data)
    except ProblemError:
        _check_open(election_id, await repository.window_now(connection, election_id))
        raise
    row = await repository.cast_now(
        connection,
        election_id=election_id,
        voter_hash=hashed,
        voter_group=group,
        project_ids=project_ids,
        points=points,
    )
    if row is None:
        _check_open(election_id, await repository.window_now(connection, election_id))
        raise ElectionClosed(  # unreachable but for a window changed between the two statements
            f"election {election_id} takes no ballot now",
            detail_ko=f"투표 {election_id}은(는) 지금 투표를 받지 않습니다.",
        )
    return _ballot_out(election_id, row)


async def _voter_group(
    connection: asyncpg.Connection, config: BallotConfig, election_id: int, hashed: bytes, asked: str | None
) -> str:
    if asked is not None and asked not in config.groups:
        raise InvalidBallot(
            "unknown-voter-group",
            f"the election has no voter group {asked}",
            "body.voter_group",
            detail_ko=f"이 투표에는 투표자 그룹 {asked}이(가) 없습니다.",
        )
    on_roll = None
    if len(config.open_groups) < len(config.groups):
        on_roll = await repository.roll_group_of(connection, election_id, hashed)
    if on_roll is not None:
        if asked is not None and asked != on_roll:
            raise NotEligible(
                f"you are on the voter roll of group {on_roll}, not {asked}",
                detail_ko=f"귀하는 {asked}이(가) 아닌 그룹 {on_roll}의 선거인 명부에 있습니다.",
            )
        return on_roll
    if asked is not None:
        if asked not in config.open_groups:
            raise NotEligible(
                f"voter group {asked} is closed and you are not on its voter roll",
                detail_ko=f"투표자 그룹 {asked}은(는) 제한된 그룹이며 귀하는 그 명부에 없습니다.",
            )
        return asked
    if not config.open_groups:
        raise NotEligible(
            f"election {election_id} has only closed voter groups and you are on none of their rolls",
            detail_ko=(
                f"투표 {election_id}에는 제한된 투표자 그룹만 있으며, 귀하는 어느 그룹의 명부에도 없습니다."
            ),
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
    await load_election(session, election_id)
    row = await repository.get_ballot(session, election_id, voter_hash(secret, election_id, actor.subject))
    if row is None:
        raise NoBallot(
            f"you have no ballot in election {election_id}",
            detail_ko=f"투표 {election_id}에 귀하의 투표지가 없습니다.",
        )
    return _ballot_out(election_id, row)


async def add_to_roll(
    session: AsyncSession, *, election_id: int, data: VoterRollIn, actor: Identity, secret: bytes
) -> VoterRollOut:
    """Admit voters to a closed group; only their keyed hashes are stored."""
    await load_election(session, election_id)
    groups = {g.code: g for g in await repository.groups_of(session, election_id)}
    if data.voter_group not in groups:
        raise InvalidElection(
            f"election {election_id} has no voter group {data.voter_group}",
            detail_ko=f"투표 {election_id}에는 투표자 그룹 {data.voter_group}이(가) 없습니다.",
            field="body.voter_group",
        )
    hashes = sorted({voter_hash(secret, election_id, subject) for subject in data.subjects})
    added = await repository.add_to_roll(session, election_id, data.voter_group, hashes, actor.subject)
    return VoterRollOut(voter_group=data.voter_group, added=added)
