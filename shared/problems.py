"""RFC 9457 problem details: every error path of every process answers `application/problem+json`."""

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from types import MappingProxyType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared import messages_ko
from shared.db_outage import is_database_outage
from shared.language import ENGLISH, KOREAN, preferred_language
from shared.logging import request_id_var

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://api.governance.seoul.example/problems/"

logger = logging.getLogger("shared.problems")


class FieldError(BaseModel):
    field: str
    message: str
    type: str | None = None
    message_ko: str | None = Field(default=None, exclude=True)
    """The message in Korean, sent instead of `message` when the caller prefers Korean."""


class Problem(BaseModel):
    """The body of every error response."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str | None = None
    errors: list[FieldError] | None = None
    request_id: str | None = None


class ProblemError(Exception):
    """A domain error that maps to one problem+json response. Services raise subclasses of it."""

    status: int = 400
    code: str = "bad-request"
    title: str = "Bad request"
    title_ko: str | None = "잘못된 요청"
    """The title in Korean, sent when the caller prefers it (`Accept-Language: ko`)."""
    headers: Mapping[str, str] | None = None
    """Response headers the problem always carries (Retry-After, say)."""

    def __init__(
        self,
        detail: str,
        *,
        detail_ko: str | None = None,
        field: str | None = None,
        errors: Sequence[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_ko = detail_ko
        self.errors = list(errors or [])
        if field:
            self.errors.append(FieldError(field=field, message=detail, message_ko=detail_ko))
        self.extra = extra or {}


class NotFound(ProblemError):
    status, code, title = 404, "not-found", "Not found"
    title_ko = "찾을 수 없음"


class Conflict(ProblemError):
    status, code, title = 409, "conflict", "Conflict"
    title_ko = "충돌"


class RuleViolation(ProblemError):
    """A request that is well-formed but breaks a domain rule (a cap, a quorum, a deadline)."""

    status, code, title = 422, "rule-violation", "Rule violated"
    title_ko = "규칙 위반"


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", "Authentication required"
    title_ko = "인증 필요"


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", "Forbidden"
    title_ko = "권한 없음"


class BadGateway(ProblemError):
    status, code, title = 502, "bad-gateway", "Upstream failed"
    title_ko = "상위 서비스 오류"


class ServiceUnavailable(ProblemError):
    status, code, title = 503, "service-unavailable", "Service unavailable"
    title_ko = "서비스를 사용할 수 없음"


class DatabaseUnavailable(ProblemError):
    status, code, title = 503, "database-unavailable", "Database unavailable"
    title_ko = "데이터베이스를 사용할 수 없음"
    headers = MappingProxyType({"Retry-After": "2"})

    def __init__(self, detail: str = "The database is not reachable at the moment; retry shortly.") -> None:
        super().__init__(
            detail, detail_ko="지금은 데이터베이스에 연결할 수 없습니다. 잠시 후 다시 시도하십시오."
        )


class GatewayTimeout(ProblemError):
    status, code, title = 504, "gateway-timeout", "Upstream timed out"
    title_ko = "상위 서비스 응답 시간 초과"


def problem_response(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    code: str | None = None,
    errors: Sequence[FieldError] | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    language: str = ENGLISH,
    title_ko: str | None = None,
    detail_ko: str | None = None,
) -> JSONResponse:
    """Build a problem+json response; `code` becomes the `type` URI.

    In Korean (`language`, from `shared.language`) the texts are `title_ko` (or the status's Korean title),
    `detail_ko` and each error's `message_ko`, each falling back to the English one; `code` is the same.
    """
    if language == KOREAN:
        title = title_ko or messages_ko.status_title(status)
        detail = detail_ko or detail
        errors = [
            FieldError(field=e.field, message=e.message_ko or e.message, type=e.type) for e in errors or ()
        ]
    body = Problem(
        type=PROBLEM_BASE + code if code else "about:blank",
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        code=code,
        errors=list(errors) if errors else None,
        request_id=request_id_var.get(),
    ).model_dump(exclude_none=True)
    if extra:
        body.update(extra)
    headers = {**(headers or {}), "Content-Language": KOREAN if language == KOREAN else ENGLISH}
    headers["Vary"] = ", ".join(filter(None, (headers.get("Vary"), "Accept-Language")))
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def error_response(
    exc: ProblemError,
    *,
    language: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The response for a raised ProblemError, in the caller's language; `headers` replace the error's own."""
    return problem_response(
        exc.status,
        title=exc.title,
        detail=exc.detail,
        code=exc.code,
        errors=exc.errors,
        instance=instance,
        headers=dict(exc.headers or {}) if headers is None else headers,
        extra=exc.extra,
        language=language,
        title_ko=exc.title_ko,
        detail_ko=exc.detail_ko,
    )


def _field_name(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc) if loc else "body"


def _validation_errors(exc: RequestValidationError) -> tuple[int, str, str, list[FieldError]]:
    errors = [
        FieldError(
            field=_field_name(err.get("loc", ())),
            message=str(err.get("msg", "")),
            type=err.get("type"),
            message_ko=messages_ko.validation_message(err),
        )
        for err in exc.errors()
    ]
    if any(err.type == "json_invalid" for err in errors):
        return 400, "The request body is not valid JSON.", messages_ko.MALFORMED_JSON_DETAIL, errors
    names = ", ".join(sorted({err.field for err in errors}))
    return 422, f"Invalid request: {names}", messages_ko.VALIDATION_DETAIL.format(names=names), errors


def _language(request: Request) -> str:
    return preferred_language(request.headers.get("accept-language"))


def install_problem_handlers(app: FastAPI) -> None:
    """Map every exception to problem+json: validation, HTTP (404/405…), domain, and the unhandled."""

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        status, detail, detail_ko, errors = _validation_errors(exc)
        code = "malformed-json" if status == 400 else "validation-error"
        return problem_response(
            status,
            detail=detail,
            code=code,
            errors=errors,
            instance=request.url.path,
            language=_language(request),
            detail_ko=detail_ko,
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else None
        code = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 403: "forbidden"}.get(
            exc.status_code
        )
        return problem_response(
            exc.status_code,
            detail=detail,
            code=code,
            instance=request.url.path,
            headers=dict(exc.headers) if exc.headers else None,
            language=_language(request),
            detail_ko=messages_ko.FRAMEWORK_DETAILS.get(detail or ""),
        )

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else dict(exc.headers or {})
        return error_response(exc, language=_language(request), instance=request.url.path, headers=headers)

    async def on_unhandled(request: Request, exc: Exception) -> JSONResponse:
        if is_database_outage(exc):  # wherever it surfaced: the database is away, not a bug
            logger.warning("database unavailable: %s", exc, extra={"path": request.url.path})
            return await on_problem(request, DatabaseUnavailable())
        logger.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(
            500,
            detail="An unexpected error occurred; it has been logged.",
            code="internal-error",
            language=_language(request),
            detail_ko=messages_ko.UNEXPECTED_DETAIL,
        )

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(Exception, on_unhandled)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": HTTPStatus(status).phrase, "content": {PROBLEM_JSON: {}}}
    for status in (400, 401, 403, 404, 409, 422, 503)  # 503: database-unavailable, with Retry-After
}


# What a route can answer besides its own results, as the gateway documents it (gateway/openapi.py).
ANY_ROUTE_STATUSES: dict[int, str] = {
    400: "Malformed request: a body that is not JSON, or a parameter that cannot be read",
    401: "A bearer token was sent and is not valid (through the gateway every presented token is checked)",
    404: "No such record or path",
    413: "The request body is larger than the route accepts",
    422: "A parameter or field is invalid, or a domain rule is broken; `errors[].field` names it",
    500: "An unexpected error; it has been logged under the response's `request_id`",
    502: "Gateway: the upstream service failed to answer",
    503: "The service (or its database) is unavailable for now; see Retry-After",
    504: "Gateway: the upstream service did not answer in time",
}
SECURED_ROUTE_STATUSES: dict[int, str] = {
    401: "The operation needs a bearer token, or the one sent is not valid",
    403: "The token's role or district may not do this",
}
WRITE_STATUSES: dict[int, str] = {
    409: "The write conflicts with the record's current state",
    415: "The request body's content type is not one the route reads",
}
POST_STATUSES: dict[int, str] = {
    409: "The write conflicts with the record's current state, or a request with the same Idempotency-Key "
    "is still running",
}
PATCH_STATUSES: dict[int, str] = {
    412: "If-Match named an ETag the record no longer has: someone changed it since it was read",
}
RETRY_AFTER_STATUSES = frozenset({503})


def problem_media_type(spec: dict[str, Any]) -> dict[str, Any]:
    """Error responses carry their schema under application/problem+json, as they are sent, in place.

    FastAPI puts a `responses` model under the route's media type (application/json) and leaves the declared
    application/problem+json empty; no error is ever sent as application/json.
    """
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[:1] in ("4", "5") and PROBLEM_JSON in content:
                    # The route's own media type (application/json, or image/svg+xml for a chart) holds it.
                    schemas = [
                        content.get("application/json", {}).get("schema"),
                        content[PROBLEM_JSON].get("schema"),
                    ]
                    schemas += [media.get("schema") for media in content.values()]
                    schema = next((s for s in schemas if s), None)
                    response["content"] = {PROBLEM_JSON: {"schema": schema}} if schema else {PROBLEM_JSON: {}}
    return spec
