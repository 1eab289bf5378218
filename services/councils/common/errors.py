from shared.problems import RuleViolation


class UnknownReference(RuleViolation):
    """The request names a record (person, body, post…) that does not exist."""

    code = "unknown-reference"
    title = "Unknown reference"

    def __init__(self, what: str, ident: object, field: str) -> None:
        super().__init__(f"no {what} has id {ident}", field=field)
