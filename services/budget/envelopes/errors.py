from shared.problems import Conflict, NotFound


class EnvelopeNotFound(NotFound):
    code = "envelope-not-found"
    title = "Envelope not found"
    title_ko = "예산 한도를 찾을 수 없음"

    def __init__(self, envelope_id: int, field: str = "path.envelope_id") -> None:
        super().__init__(
            f"no envelope has id {envelope_id}",
            detail_ko=f"id가 {envelope_id}인 예산 한도가 없습니다.",
            field=field,
        )


class EnvelopeExists(Conflict):
    code = "envelope-exists"
    title = "Envelope already exists"
    title_ko = "예산 한도가 이미 있음"


class UnknownFundingType(NotFound):
    code = "funding-type-not-found"
    title = "Funding type not found"
    title_ko = "지원 유형을 찾을 수 없음"

    def __init__(self, code: str, field: str = "body.funding_type") -> None:
        super().__init__(
            f"no district funding type is called {code!r}",
            detail_ko=f"{code!r} 지원 유형이 없습니다",
            field=field,
        )
