from shared.problems import NotFound, RuleViolation


class IndicatorNotFound(NotFound):
    code = "indicator-not-found"
    title = "Indicator not found"

    def __init__(self, indicator_id: int, field: str = "path.indicator_id") -> None:
        super().__init__(f"no indicator has id {indicator_id}", field=field)


class InvalidIndicator(RuleViolation):
    code = "invalid-indicator"
    title = "Invalid indicator"
