from shared.problems import Conflict, Forbidden, RuleViolation


class InvalidScore(RuleViolation):
    code = "invalid-score"
    title = "Invalid score"
    title_ko = "잘못된 평가 점수"


class ScoreSubmitted(Conflict):
    code = "score-submitted"
    title = "Scores already submitted"
    title_ko = "이미 제출된 평가 점수"


class SheetIncomplete(RuleViolation):
    code = "score-sheet-incomplete"
    title = "Score sheet is incomplete"
    title_ko = "평가표가 완성되지 않음"


class ScoresHidden(Forbidden):
    code = "scores-hidden"
    title = "Scores are not visible to this caller"
    title_ko = "평가 점수를 볼 수 없음"


class TargetNotOpenForScoring(Conflict):
    code = "target-not-open"
    title = "Target is not open yet"
    title_ko = "평가대상이 아직 열리지 않음"
