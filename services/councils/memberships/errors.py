from shared.problems import NotFound, RuleViolation


class MembershipNotFound(NotFound):
    code = "membership-not-found"
    title = "Membership not found"
    title_ko = "위원 자격을 찾을 수 없음"

    def __init__(self, membership_id: int) -> None:
        super().__init__(
            f"no membership has id {membership_id}",
            detail_ko=f"id가 {membership_id}인 위원 자격이 없습니다.",
            field="path.membership_id",
        )


class InvalidMembership(RuleViolation):
    code = "invalid-membership"
    title = "Invalid membership"
    title_ko = "유효하지 않은 위원 자격"
