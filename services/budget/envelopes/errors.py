from shared.problems import Conflict, NotFound


class EnvelopeNotFound(NotFound):
    code = "envelope-not-found"
    title = "Envelope not found"

    def __init__(self, envelope_id: int, field: str = "path.envelope_id") -> None:
        super().__init__(f"no envelope has id {envelope_id}", field=field)


class EnvelopeExists(Conflict):
    code = "envelope-exists"
    title = "Envelope already exists"


class UnknownFundingType(NotFound):
    code = "funding-type-not-found"
    title = "Funding type not found"

    def __init__(self, code: str) -> None:
        super().__init__(f"no district funding type is called {code!r}", field="body.funding_type")
