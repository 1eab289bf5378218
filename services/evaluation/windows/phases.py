"""The phases of an evaluation round, in the order of seed 004's schedule (DOMAIN.md §3)."""

from enum import StrEnum


class Phase(StrEnum):
    report_submission = "report_submission"
    quantitative_measurement = "quantitative_measurement"
    qualitative_interviews = "qualitative_interviews"
    notification = "notification"
    appeal = "appeal"
    re_review = "re_review"
    confirmation = "confirmation"


PHASE_KO = {
    Phase.report_submission: "최종실적보고서 제출",
    Phase.quantitative_measurement: "성과평가(양적 지표) 측정",
    Phase.qualitative_interviews: "성과평가(질적 지표) 면담",
    Phase.notification: "평가결과 통보",
    Phase.appeal: "이의 제기",
    Phase.re_review: "재심의",
    Phase.confirmation: "최종 확정",
}

ORDER = {phase: position for position, phase in enumerate(Phase)}
