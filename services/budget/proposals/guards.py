"""Checks every proposal step starts with: who manages it, which status it must be in, its locked row."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.proposals import repository
from services.budget.proposals.errors import InvalidTransition, ProposalNotFound
from services.budget.proposals.models import Proposal
from shared.auth import Identity, Role, ensure_district_access
from shared.problems import Forbidden


def ensure_manages(actor: Identity, proposal: Proposal) -> None:
    """District officers manage their district's proposals; city-level ones are the city's."""
    if proposal.district_code is None:
        if actor.role not in (Role.city_officer, Role.admin):
            raise Forbidden(
                f"proposal {proposal.id} is city-level: only city officers manage it",
                detail_ko=f"제안 {proposal.id}은(는) 시 단위 제안이므로 시 공무원만 관리합니다.",
            )
        return
    ensure_district_access(actor, proposal.district_code)


def require_status(proposal: Proposal, step: str, *allowed: str) -> None:
    if proposal.status not in allowed:
        raise InvalidTransition(proposal.id, proposal.status, step, " or ".join(allowed))


async def locked_proposal(session: AsyncSession, proposal_id: int) -> Proposal:
    proposal = await repository.get_proposal(session, proposal_id, lock=True)
    if proposal is None:
        raise ProposalNotFound(proposal_id)
    return proposal
