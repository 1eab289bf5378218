from shared.problems import NotFound


class StatusNotFound(NotFound):
    code = "district-status-not-found"
    title = "No status record"
    title_ko = "현황 기록 없음"
