"""JSON request bodies, parsed once, safely: bounded nesting, big bodies off the event loop, JSON media types.

Every service route is a `JsonBodyRoute` (`create_service_app` makes it so). For a route with a JSON body it
parses the body before FastAPI does and FastAPI uses that parse:

* the body must be sent as JSON: `application/json` or any `application/*+json`, in any letter case, with
  any parameters (as FastAPI reads it); another content type is 415 `unsupported-media-type`;
* nesting deeper than `MAX_JSON_DEPTH` is 400 `json-too-deep` naming `body`, found by a flat scan before
  anything recursive (the parser, the text guard, pydantic) sees it;
* bodies above `THREAD_PARSE_BYTES` are scanned and parsed in a worker thread;
* integers outside signed 64-bit come back as `OutOfRange` placeholders (a 5000-digit integer would
  otherwise stop the parser with a `ValueError` naming no field); `shared.text_guard` answers 422 naming them.
"""

import contextlib
import json
import re
from collections.abc import Callable, Coroutine
from itertools import accumulate
from typing import Any

import anyio.to_thread
from fastapi import Request, Response, params
from fastapi.routing import APIRoute

from shared.problems import ProblemError

MAX_JSON_DEPTH = 64
THREAD_PARSE_BYTES = 64 * 1024
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


class JsonTooDeep(ProblemError):
    status, code, title = 400, "json-too-deep", "JSON nested too deeply"
    title_ko = "JSON 중첩이 너무 깊음"


class MalformedJson(ProblemError):
    status, code, title = 400, "malformed-json", "Malformed JSON"
    title_ko = "잘못된 형식의 JSON"


class UnsupportedMediaType(ProblemError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"
    title_ko = "지원하지 않는 미디어 유형"


class OutOfRange:
    """An integer literal no column holds; kept as text so that the error can quote it."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json` or `application/<anything>+json`, case-insensitive, parameters ignored."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def nesting_depth(body: bytes) -> int:
    """How deep arrays and objects nest (brackets inside strings do not count); linear, not recursive."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _parse_int(text: str) -> int | OutOfRange:
    if len(text) > 20:  # longer than any int64, and short of Python's int-from-text digit limit
        return OutOfRange(text)
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else OutOfRange(text)


# json.loads(text, parse_int=…) builds a decoder (and its scanner) per call; this one is shared, as json.loads
# shares its default decoder between threads.
_DECODER = json.JSONDecoder(parse_int=_parse_int)


def parse_json(body: bytes) -> Any:
    """Parse a request body: JsonTooDeep past MAX_JSON_DEPTH, MalformedJson when it is not UTF-8 (RFC 8259),
    json.JSONDecodeError when it is not JSON."""
    # Each level opens with a bracket: a body no longer than the limit cannot pass it.
    if len(body) > MAX_JSON_DEPTH and nesting_depth(body) > MAX_JSON_DEPTH:
        raise JsonTooDeep(
            f"JSON may nest at most {MAX_JSON_DEPTH} arrays or objects deep",
            detail_ko=f"JSON의 배열 또는 객체 중첩은 최대 {MAX_JSON_DEPTH}단계까지 허용됩니다.",
            field="body",
        )
    try:
        text = body.decode("utf-8-sig")  # RFC 8259 §8.1: a parser may ignore a byte order mark
    except UnicodeDecodeError as exc:
        raise MalformedJson(
            "the body is not UTF-8 text", detail_ko="요청 본문이 UTF-8 텍스트가 아닙니다.", field="body"
        ) from exc
    if text.startswith("\ufeff"):  # a second one: as json.loads refuses it
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _DECODER.decode(text)


class JsonBodyRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            if len(body) > THREAD_PARSE_BYTES:
                self._json = await anyio.to_thread.run_sync(parse_json, body)
            else:
                self._json = parse_json(body)
        return self._json


class JsonBodyRoute(APIRoute):
    """An APIRoute whose requests are `JsonBodyRequest`s, with a JSON body checked before FastAPI reads it
    and no path, query or body value that PostgreSQL cannot store (`shared.text_guard`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # text_guard reads bodies through this module; imported here, once per route, to keep that one way.
        from shared.text_guard import reject_unstorable_text

        handler = super().get_route_handler()
        json_body = self.body_field is not None and not _is_form(self)

        async def guarded(request: Request) -> Response:
            request = JsonBodyRequest(request.scope, request.receive)
            if json_body and await request.body():
                content_type = request.headers.get("content-type")
                if not is_json_media_type(content_type):
                    raise UnsupportedMediaType(
                        f"send the body as application/json, not {content_type or 'without a Content-Type'}",
                        detail_ko=(
                            "본문을 application/json으로"
                            f" 보내십시오({content_type or 'Content-Type 없음'}은(는) 허용되지 않습니다)."
                        ),
                        field="header.content-type",
                    )
                # not JSON: FastAPI parses it again and reports where it breaks
                with contextlib.suppress(json.JSONDecodeError):
                    await request.json()
            # Here rather than as an app-wide dependency: the same check first, without a dependency's cost.
            await reject_unstorable_text(request)
            return await handler(request)

        return guarded


def _is_form(route: APIRoute) -> bool:
    field_info = route.body_field.field_info if route.body_field is not None else None
    return isinstance(field_info, params.Form)
