from shared.problems import Conflict, NotFound, RuleViolation


class ProposalNotFound(NotFound):
    code = "proposal-not-found"
    title = "Proposal not found"
    title_ko = "제안을 찾을 수 없음"

    def __init__(self, proposal_id: int, field: str = "path.proposal_id") -> None:
        super().__init__(
            f"no proposal has id {proposal_id}",
            detail_ko=f"id가 {proposal_id}인 제안이 없습니다.",
            field=field,
        )


class InvalidTransition(Conflict):
    """The proposal is not in a state from which this step may be taken."""

    code = "invalid-transition"
    title = "Not allowed in the proposal's current state"
    title_ko = "제안의 현재 상태에서는 허용되지 않음"

    def __init__(self, proposal_id: int, status: str, step: str, needs: str) -> None:
        super().__init__(
            f"proposal {proposal_id} is {status}; {step} needs a proposal that is {needs}",
            detail_ko=f"제안 {proposal_id}의 상태는 {status}입니다. {step} 단계는 상태가"
            f" {needs.replace(' or ', ' 또는 ')}인 제안에만 할 수 있습니다.",
            extra={"proposal_id": proposal_id, "proposal_status": status},
        )


class NoEnvelope(RuleViolation):
    code = "no-envelope"
    title = "No envelope for this district and track"
    title_ko = "이 자치구와 트랙의 예산 한도 없음"


class ShortlistCapExceeded(RuleViolation):
    code = "shortlist-cap-exceeded"
    title = "Shortlist over its cap"
    title_ko = "1차 선정 목록이 한도 초과"


class ScreeningClosed(Conflict):
    code = "screening-closed"
    title = "Screening closed"
    title_ko = "심사 마감"


class LineageMismatch(RuleViolation):
    code = "lineage-mismatch"
    title = "Proposals cannot be merged or split this way"
    title_ko = "이 방식으로 제안을 병합하거나 분할할 수 없음"
