from shared.problems import NotFound, RuleViolation


class IndicatorNotFound(NotFound):
    code = "indicator-not-found"
    title = "Indicator not found"
    title_ko = "지표를 찾을 수 없음"

    def __init__(self, indicator_id: int, field: str = "path.indicator_id") -> None:
        super().__init__(
            f"no indicator has id {indicator_id}",
            detail_ko=f"id가 {indicator_id}인 지표가 없습니다.",
            field=field,
        )


class InvalidIndicator(RuleViolation):
    code = "invalid-indicator"
    title = "Invalid indicator"
    title_ko = "유효하지 않은 지표"
