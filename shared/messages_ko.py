"""Korean texts of the errors no ProblemError carries: statuses, request validation, framework details."""

from http import HTTPStatus
from typing import Any

STATUS_TITLES = {
    400: "잘못된 요청",
    401: "인증 필요",
    403: "권한 없음",
    404: "찾을 수 없음",
    405: "허용되지 않는 메서드",
    406: "허용되지 않는 응답 형식",
    409: "충돌",
    411: "Content-Length 필요",
    412: "전제 조건 실패",
    413: "요청 본문이 너무 큼",
    414: "URI가 너무 김",
    415: "지원하지 않는 미디어 유형",
    422: "처리할 수 없는 요청",
    429: "요청이 너무 많음",
    500: "내부 서버 오류",
    502: "상위 서비스 오류",
    503: "서비스를 사용할 수 없음",
    504: "상위 서비스 응답 시간 초과",
}
GENERIC_TITLE = "오류"

# Details Starlette and FastAPI write themselves (an HTTPException without a detail gets the status phrase).
FRAMEWORK_DETAILS = {
    **{status.phrase: STATUS_TITLES[status.value] for status in HTTPStatus if status.value in STATUS_TITLES},
    "Not authenticated": "인증되지 않았습니다.",
    "Invalid authentication credentials": "인증 정보가 올바르지 않습니다.",
}

# Pydantic's error types, formatted with the error's `ctx`; field names and limits are kept as they are.
VALIDATION_MESSAGES = {
    "missing": "필수 항목입니다.",
    "extra_forbidden": "허용되지 않는 항목입니다.",
    "string_type": "문자열이어야 합니다.",
    "string_unicode": "올바른 유니코드 문자열이어야 합니다.",
    "string_too_short": "최소 {min_length}자 이상이어야 합니다.",
    "string_too_long": "최대 {max_length}자까지 허용됩니다.",
    "string_pattern_mismatch": "형식이 '{pattern}'과(와) 맞지 않습니다.",
    "int_type": "정수여야 합니다.",
    "int_parsing": "정수여야 합니다.",
    "int_parsing_size": "정수가 허용 범위를 벗어났습니다.",
    "int_from_float": "소수 부분이 없는 정수여야 합니다.",
    "float_type": "숫자여야 합니다.",
    "float_parsing": "숫자여야 합니다.",
    "finite_number": "유한한 숫자여야 합니다.",
    "decimal_type": "10진수여야 합니다.",
    "decimal_parsing": "10진수여야 합니다.",
    "decimal_max_digits": "최대 {max_digits}자리 숫자까지 허용됩니다.",
    "decimal_max_places": "소수점 이하 최대 {decimal_places}자리까지 허용됩니다.",
    "decimal_whole_digits": "정수 부분은 최대 {whole_digits}자리까지 허용됩니다.",
    "bool_type": "true 또는 false여야 합니다.",
    "bool_parsing": "true 또는 false여야 합니다.",
    "greater_than": "{gt}보다 커야 합니다.",
    "greater_than_equal": "{ge} 이상이어야 합니다.",
    "less_than": "{lt}보다 작아야 합니다.",
    "less_than_equal": "{le} 이하여야 합니다.",
    "multiple_of": "{multiple_of}의 배수여야 합니다.",
    "too_short": "항목이 최소 {min_length}개 있어야 합니다.",
    "too_long": "항목은 최대 {max_length}개까지 허용됩니다.",
    "enum": "다음 중 하나여야 합니다: {expected}",
    "literal_error": "다음 중 하나여야 합니다: {expected}",
    "list_type": "목록이어야 합니다.",
    "tuple_type": "목록이어야 합니다.",
    "set_type": "목록이어야 합니다.",
    "frozen_set_type": "목록이어야 합니다.",
    "dict_type": "객체여야 합니다.",
    "model_type": "객체여야 합니다.",
    "model_attributes_type": "객체여야 합니다.",
    "date_type": "날짜(YYYY-MM-DD)여야 합니다.",
    "date_parsing": "날짜(YYYY-MM-DD)여야 합니다.",
    "date_from_datetime_parsing": "날짜(YYYY-MM-DD)여야 합니다.",
    "date_from_datetime_inexact": "시각이 없는 날짜여야 합니다.",
    "datetime_type": "날짜와 시각(ISO 8601)이어야 합니다.",
    "datetime_parsing": "날짜와 시각(ISO 8601)이어야 합니다.",
    "datetime_from_date_parsing": "날짜와 시각(ISO 8601)이어야 합니다.",
    "datetime_object_invalid": "날짜와 시각이 올바르지 않습니다.",
    "time_type": "시각이어야 합니다.",
    "time_parsing": "시각이어야 합니다.",
    "timezone_aware": "시간대(UTC 오프셋)가 있어야 합니다.",
    "timezone_naive": "시간대(UTC 오프셋)가 없어야 합니다.",
    "uuid_type": "UUID여야 합니다.",
    "uuid_parsing": "UUID여야 합니다.",
    "url_type": "URL이어야 합니다.",
    "url_parsing": "올바른 URL이어야 합니다.",
    "url_scheme": "URL 스킴은 {expected_schemes} 중 하나여야 합니다.",
    "bytes_type": "바이트열이어야 합니다.",
    "json_invalid": "올바른 JSON이 아닙니다.",
    "json_type": "JSON 문자열이어야 합니다.",
    "none_required": "null이어야 합니다.",
    "union_tag_invalid": "'{tag}'은(는) 허용되지 않는 구분 값입니다. 허용: {expected_tags}",
    "union_tag_not_found": "구분 항목 '{discriminator}'이(가) 필요합니다.",
    "value_error": "값이 올바르지 않습니다.",
    "assertion_error": "값이 올바르지 않습니다.",
}
GENERIC_VALIDATION_MESSAGE = "입력값이 올바르지 않습니다."

VALIDATION_DETAIL = "요청이 올바르지 않습니다: {names}"
MALFORMED_JSON_DETAIL = "요청 본문이 올바른 JSON이 아닙니다."
UNEXPECTED_DETAIL = "예기치 않은 오류가 발생했습니다. 오류는 기록되었습니다."


def status_title(status: int) -> str:
    return STATUS_TITLES.get(status, GENERIC_TITLE)


def validation_message(error: dict[str, Any]) -> str:
    """A pydantic error's Korean message: its validator's own Korean text, its type's, or a generic one."""
    ctx = error.get("ctx") or {}
    own = getattr(ctx.get("error"), "message_ko", None)
    if isinstance(own, str):
        return own
    template = VALIDATION_MESSAGES.get(str(error.get("type")))
    if template is None:
        return GENERIC_VALIDATION_MESSAGE
    if "expected" in ctx:  # "'a', 'b' or 'c'"
        ctx = {**ctx, "expected": str(ctx["expected"]).replace(" or ", ", ")}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return GENERIC_VALIDATION_MESSAGE
