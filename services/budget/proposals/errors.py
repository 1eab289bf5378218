from shared.problems import Conflict, NotFound, RuleViolation


class ProposalNotFound(NotFound):
    code = "proposal-not-found"
    title = "Proposal not found"

    def __init__(self, proposal_id: int, field: str = "path.proposal_id") -> None:
        super().__init__(f"no proposal has id {proposal_id}", field=field)


class InvalidTransition(Conflict):
    """The proposal is not in a state from which this step may be taken."""

    code = "invalid-transition"
    title = "Not allowed in the proposal's current state"

    def __init__(self, proposal_id: int, status: str, step: str, needs: str) -> None:
        super().__init__(
            f"proposal {proposal_id} is {status}; {step} needs a proposal that is {needs}",
            extra={"proposal_id": proposal_id, "proposal_status": status},
        )


class NoEnvelope(RuleViolation):
    code = "no-envelope"
    title = "No envelope for this district and track"


class ShortlistCapExceeded(RuleViolation):
    code = "shortlist-cap-exceeded"
    title = "Shortlist over its cap"


class ScreeningClosed(Conflict):
    code = "screening-closed"
    title = "Screening closed"


class LineageMismatch(RuleViolation):
    code = "lineage-mismatch"
    title = "Proposals cannot be merged or split this way"
