from shared.problems import RuleViolation

# The Korean names of the records a request may name; an unlisted one keeps its English name.
_RECORD_KO = {
    "governance body": "협치 기구",
    "person": "인물",
    "motion": "안건",
    "agenda item of this meeting": "이 회의의 안건 항목",
    "organization": "기관",
    "consortium": "컨소시엄",
    "post": "직위",
    "meeting": "회의",
}


class UnknownReference(RuleViolation):
    """The request names a record (person, body, post…) that does not exist."""

    code = "unknown-reference"
    title = "Unknown reference"
    title_ko = "알 수 없는 참조"

    def __init__(self, what: str, ident: object, field: str) -> None:
        what_ko = _RECORD_KO.get(what, what)
        super().__init__(
            f"no {what} has id {ident}", detail_ko=f"id가 {ident}인 {what_ko}이(가) 없습니다.", field=field
        )
