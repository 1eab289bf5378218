from shared.problems import Conflict, NotFound, RuleViolation


class ProgrammeNotFound(NotFound):
    code = "programme-not-found"
    title = "Programme budget not found"
    title_ko = "사업예산을 찾을 수 없음"

    def __init__(self, fiscal_year: int) -> None:
        super().__init__(
            f"no programme budget is recorded for {fiscal_year}",
            detail_ko=f"{fiscal_year}년 사업예산이 없습니다",
            field="path.fiscal_year",
        )


class ProgrammeExists(Conflict):
    code = "programme-exists"
    title = "Programme budget already recorded"
    title_ko = "사업예산이 이미 있음"

    def __init__(self, fiscal_year: int) -> None:
        super().__init__(
            f"the {fiscal_year} programme budget is already recorded; change it with /changes",
            detail_ko=f"{fiscal_year}년 사업예산이 이미 있습니다. /changes로 변경하십시오",
            field="path.fiscal_year",
        )


class NodeNotFound(NotFound):
    code = "programme-node-not-found"
    title = "Programme node not found"
    title_ko = "사업예산 항목을 찾을 수 없음"


class InvalidTree(RuleViolation):
    code = "programme-tree-invalid"
    title = "Not a tree"
    title_ko = "트리 구조가 아님"


class SumMismatch(RuleViolation):
    """A parent whose amount is not the sum of its children's; the detail gives the arithmetic."""

    code = "programme-sum-mismatch"
    title = "A parent is not the sum of its children"
    title_ko = "상위 항목이 하위 항목의 합과 다름"
