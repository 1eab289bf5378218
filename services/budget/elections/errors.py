from shared.problems import Conflict, Forbidden, NotFound, ProblemError, RuleViolation


class ElectionNotFound(NotFound):
    code = "election-not-found"
    title = "Election not found"
    title_ko = "투표를 찾을 수 없음"

    def __init__(self, election_id: int) -> None:
        super().__init__(
            f"no election has id {election_id}",
            detail_ko=f"id가 {election_id}인 투표가 없습니다.",
            field="path.election_id",
        )


class ElectionClosed(Conflict):
    code = "election-closed"
    title = "Election closed"
    title_ko = "투표 마감"


class ElectionNotOpen(Conflict):
    code = "election-not-open"
    title = "Election not open yet"
    title_ko = "투표가 아직 시작되지 않음"


class EnvelopeHasElection(Conflict):
    code = "envelope-has-election"
    title = "The envelope already has an election"
    title_ko = "이미 투표가 있는 예산 한도"


class ElectionStillOpen(Conflict):
    code = "election-open"
    title = "Election still open"
    title_ko = "투표 진행 중"


class AlreadyPublished(Conflict):
    code = "already-published"
    title = "Results already published"
    title_ko = "결과가 이미 공표됨"


class ResultsNotPublished(Forbidden):
    code = "results-not-published"
    title = "Results not published"
    title_ko = "결과가 공표되지 않음"


class OutcomeNotPublished(Forbidden):
    code = "outcome-not-published"
    title = "Only the published outcome is public"
    title_ko = "공표된 결과만 공개됨"


class PublishedOutcomeMissing(NotFound):
    code = "published-outcome-missing"
    title = "The published outcome is not stored"
    title_ko = "공표된 결과가 저장되어 있지 않음"


class NoBallot(NotFound):
    code = "ballot-not-found"
    title = "No ballot"
    title_ko = "투표지 없음"


class InvalidBallot(RuleViolation):
    """A ballot that breaks the election's ballot rules; `code` says which rule."""

    code = "invalid-ballot"
    title = "Invalid ballot"
    title_ko = "유효하지 않은 투표지"

    def __init__(self, code: str, detail: str, field: str, *, detail_ko: str) -> None:
        super().__init__(detail, detail_ko=detail_ko, field=field)
        self.code = code


class NotEligible(Forbidden):
    code = "not-eligible"
    title = "Not eligible in this voter group"
    title_ko = "이 투표자 그룹의 투표 자격 없음"


class NotAVoter(Forbidden):
    code = "not-a-voter"
    title = "Ballots are citizens' and enrolled voter-roll members' only"
    title_ko = "투표는 시민과 선거인 명부 등록자만 할 수 있음"


class InvalidElection(RuleViolation):
    code = "invalid-election"
    title = "Invalid election"
    title_ko = "유효하지 않은 투표"


class OutcomeFailed(RuleViolation):
    code = "outcome-failed"
    title = "The outcome cannot be computed"
    title_ko = "결과를 계산할 수 없음"


class InvalidPbFile(RuleViolation):
    code = "invalid-pb-file"
    title = "Invalid Pabulib file"
    title_ko = "유효하지 않은 Pabulib 파일"


class FileTooLarge(ProblemError):
    status, code, title = 413, "file-too-large", "File too large"
    title_ko = "파일이 너무 큼"
