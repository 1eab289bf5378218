from shared.problems import Conflict, NotFound, RuleViolation


class AmountMismatch(RuleViolation):
    code = "amount-mismatch"
    title = "Amount is not unit price × quantity"
    title_ko = "금액이 단가 × 수량과 다름"

    def __init__(self, unit_price: int, quantity: int, amount: int) -> None:
        product = unit_price * quantity
        super().__init__(
            f"{unit_price:,} × {quantity:,} = {product:,} KRW, not {amount:,}",
            detail_ko=f"{unit_price:,}원 × {quantity:,} = {product:,}원이며 {amount:,}원이 아닙니다",
            field="body.amount_krw",
            extra={"expected_krw": product},
        )


class UnknownAccountCode(RuleViolation):
    code = "unknown-account-code"
    title = "Unknown budget account code"
    title_ko = "알 수 없는 예산과목"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"{code!r} is not a budget account code (GET /budget/account-codes lists them)",
            detail_ko=f"{code!r}은(는) 예산과목 코드가 아닙니다 (GET /budget/account-codes 참조)",
            field="body.account_code",
        )


class LineNotFound(NotFound):
    code = "budget-line-not-found"
    title = "Budget line not found"
    title_ko = "예산 항목을 찾을 수 없음"

    def __init__(self, project_id: int, line_id: int, field: str = "body.line_id") -> None:
        super().__init__(
            f"project {project_id} has no budget line {line_id}",
            detail_ko=f"{project_id}번 사업에 {line_id}번 예산 항목이 없습니다",
            field=field,
        )


class OverBudget(RuleViolation):
    code = "over-budget"
    title = "Spending beyond the budget line"
    title_ko = "예산 항목 초과 지출"

    def __init__(self, line_id: int, amount: int, spent: int, requested: int) -> None:
        left = amount - spent
        super().__init__(
            f"budget line {line_id} has {left:,} KRW left ({amount:,} − {spent:,} spent);"
            f" {requested:,} KRW is {requested - left:,} too much",
            detail_ko=f"{line_id}번 예산 항목의 잔액은 {left:,}원입니다 ({amount:,} − 지출 {spent:,});"
            f" {requested:,}원은 {requested - left:,}원 초과입니다",
            field="body.amount_krw",
            extra={"remaining_krw": left},
        )


class ProjectClosed(Conflict):
    code = "project-closed"
    title = "The project is closed"
    title_ko = "종료된 사업"
