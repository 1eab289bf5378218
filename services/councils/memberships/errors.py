from shared.problems import NotFound, RuleViolation


class MembershipNotFound(NotFound):
    code = "membership-not-found"
    title = "Membership not found"

    def __init__(self, membership_id: int) -> None:
        super().__init__(f"no membership has id {membership_id}", field="path.membership_id")


class InvalidMembership(RuleViolation):
    code = "invalid-membership"
    title = "Invalid membership"
