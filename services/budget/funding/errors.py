from typing import Any

from shared.problems import NotFound, RuleViolation


class DistrictFundingNotFound(NotFound):
    code = "district-funding-not-found"
    title = "District funding type not assigned"
    title_ko = "자치구 지원 유형이 지정되지 않음"

    def __init__(self, district_code: str, fiscal_year: int, field: str = "path.fiscal_year") -> None:
        super().__init__(
            f"district {district_code} has no funding type assigned for {fiscal_year}",
            detail_ko=f"{district_code} 자치구의 {fiscal_year}년 지원 유형이 지정되지 않았습니다",
            field=field,
        )


class CapExceeded(RuleViolation):
    """More money for a district's year than its funding type allows; the detail gives the arithmetic."""

    code = "district-cap-exceeded"
    title = "Over the district's funding cap"
    title_ko = "자치구 지원 한도 초과"

    def __init__(self, detail: str, *, detail_ko: str, field: str, extra: dict[str, Any]) -> None:
        super().__init__(detail, detail_ko=detail_ko, field=field, extra=extra)


class FundingTypeMismatch(RuleViolation):
    code = "funding-type-mismatch"
    title = "Not the district's funding type"
    title_ko = "자치구의 지원 유형과 다름"
