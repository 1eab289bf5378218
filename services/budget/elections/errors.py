from shared.problems import Conflict, Forbidden, NotFound, ProblemError, RuleViolation


class ElectionNotFound(NotFound):
    code = "election-not-found"
    title = "Election not found"

    def __init__(self, election_id: int) -> None:
        super().__init__(f"no election has id {election_id}", field="path.election_id")


class ElectionClosed(Conflict):
    code = "election-closed"
    title = "Election closed"


class ElectionNotOpen(Conflict):
    code = "election-not-open"
    title = "Election not open yet"


class EnvelopeHasElection(Conflict):
    code = "envelope-has-election"
    title = "The envelope already has an election"


class ElectionStillOpen(Conflict):
    code = "election-open"
    title = "Election still open"


class AlreadyPublished(Conflict):
    code = "already-published"
    title = "Results already published"


class ResultsNotPublished(Forbidden):
    code = "results-not-published"
    title = "Results not published"


class OutcomeNotPublished(Forbidden):
    code = "outcome-not-published"
    title = "Only the published outcome is public"


class PublishedOutcomeMissing(NotFound):
    code = "published-outcome-missing"
    title = "The published outcome is not stored"


class NoBallot(NotFound):
    code = "ballot-not-found"
    title = "No ballot"


class InvalidBallot(RuleViolation):
    """A ballot that breaks the election's ballot rules; `code` says which rule."""

    code = "invalid-ballot"
    title = "Invalid ballot"

    def __init__(self, code: str, detail: str, field: str) -> None:
        super().__init__(detail, field=field)
        self.code = code


class NotEligible(Forbidden):
    code = "not-eligible"
    title = "Not eligible in this voter group"


class NotAVoter(Forbidden):
    code = "not-a-voter"
    title = "Ballots are citizens' and enrolled voter-roll members' only"


class InvalidElection(RuleViolation):
    code = "invalid-election"
    title = "Invalid election"


class OutcomeFailed(RuleViolation):
    code = "outcome-failed"
    title = "The outcome cannot be computed"


class InvalidPbFile(RuleViolation):
    code = "invalid-pb-file"
    title = "Invalid Pabulib file"


class FileTooLarge(ProblemError):
    status, code, title = 413, "file-too-large", "File too large"
