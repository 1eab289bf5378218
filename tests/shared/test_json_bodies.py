"""Hostile JSON bodies are 4xx problems naming `body` or the field, never a 500."""

import threading
from collections.abc import Callable

import httpx
import pytest

import shared.json_body
from shared.json_body import MAX_JSON_DEPTH, THREAD_PARSE_BYTES, is_json_media_type, nesting_depth
from tests.conftest import assert_problem

CYCLES = "/evaluation/cycles"
JSON = {"content-type": "application/json"}


def nested_arrays(depth: int) -> bytes:
    """A cycle whose name_ko is `depth - 1` arrays deep: the body nests `depth` deep in all."""
    return b'{"programme": "p", "name_ko": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b', "year": 2017}'


def nested_objects(depth: int) -> bytes:
    return b'{"programme": "p", "name_ko": ' + b'{"a": ' * (depth - 1) + b"1" + b"}" * (depth - 1) + b"}"


def test_nesting_depth_counts_brackets_outside_strings_only() -> None:
    assert nesting_depth(b"1") == 0
    assert nesting_depth(b'{"a": [1, {"b": []}]}') == 4
    assert nesting_depth(b'{"a": "[[[[[[\\"[[[["}') == 1
    assert nesting_depth(b"[" * 5000 + b"]" * 5000) == 5000


@pytest.mark.parametrize("shape", [nested_arrays, nested_objects])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 500, 5000])
async def test_json_nested_past_the_limit_is_400_naming_body(
    evaluation: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    shape: Callable[[int], bytes],
    depth: int,
) -> None:
    headers = {**auth("city_officer"), **JSON}
    body = assert_problem(await evaluation.post(CYCLES, content=shape(depth), headers=headers), 400, "body")
    assert body["code"] == "json-too-deep"


@pytest.mark.parametrize("shape", [nested_arrays, nested_objects])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH])
async def test_json_nested_up_to_the_limit_reaches_validation(
    evaluation: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    shape: Callable[[int], bytes],
    depth: int,
) -> None:
    headers = {**auth("city_officer"), **JSON}
    body = assert_problem(await evaluation.post(CYCLES, content=shape(depth), headers=headers), 422)
    assert body["code"] == "validation-error"
    assert "body.name_ko" in [error["field"] for error in body["errors"]]


async def test_deep_json_on_a_route_without_a_body_is_refused_too(
    budget: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    """The text guard reads JSON bodies of every write, body parameter or not: it sees no deep JSON either."""
    deep = b"[" * 5000 + b"]" * 5000
    headers = {**auth("city_officer"), **JSON}
    response = await budget.post("/budget/elections/999999/close", content=deep, headers=headers)
    assert assert_problem(response, 400, "body")["code"] == "json-too-deep"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "APPLICATION/JSON; charset=UTF-8",
        "application/json; charset=utf-8",
        "application/merge-patch+json",
        "application/problem+json",
        "application/vnd.seoul.cycle+JSON ; version=1",
    ],
)
async def test_a_nul_is_refused_whatever_the_json_media_type_spelling(
    evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]], content_type: str
) -> None:
    headers = {**auth("city_officer"), "content-type": content_type}
    nul = b'{"programme": "p\\u0000", "name_ko": "n", "year": 2017}'
    body = assert_problem(await evaluation.post(CYCLES, content=nul, headers=headers), 422, "body.programme")
    assert body["code"] == "unstorable-text"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "json", None])
async def test_a_json_route_refuses_other_media_types_with_415(
    evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]], content_type: str | None
) -> None:
    headers = auth("city_officer")
    if content_type:
        headers["content-type"] = content_type
    nul = b'{"programme": "p\\u0000", "name_ko": "n", "year": 2017}'
    request = evaluation.build_request("POST", CYCLES, content=nul, headers=headers)
    if content_type is None:
        assert "content-type" not in request.headers
    body = assert_problem(await evaluation.send(request), 415, "header.content-type")
    assert body["code"] == "unsupported-media-type"


def test_json_media_types() -> None:
    assert is_json_media_type("application/json")
    assert is_json_media_type("Application/Merge-Patch+JSON; charset=utf-8")
    for other in (
        None,
        "",
        "text/json",
        "application/jsonx",
        "application/x-json-stream",
        "multipart/form-data",
    ):
        assert not is_json_media_type(other)


@pytest.mark.parametrize(
    ("year", "field"),
    [
        (b"1e999", "body.year"),
        (b"-1e999", "body.year"),
        (b"NaN", "body.year"),
        (b"Infinity", "body.year"),
        (b"-Infinity", "body.year"),
        (b"9" * 5000, "body.year"),
        (b"-" + b"9" * 5000, "body.year"),
        (str(2**63).encode(), "body.year"),
        (str(-(2**63) - 1).encode(), "body.year"),
        (b"1e300", "body.year"),
        (b"-9.3e18", "body.year"),
    ],
)
async def test_numbers_no_column_holds_are_422_naming_the_field(
    evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]], year: bytes, field: str
) -> None:
    content = b'{"programme": "p", "name_ko": "n", "year": ' + year + b"}"
    headers = {**auth("city_officer"), **JSON}
    body = assert_problem(await evaluation.post(CYCLES, content=content, headers=headers), 422, field)
    assert body["code"] == "number-out-of-range"


@pytest.mark.parametrize("year", [2**63 - 1, -(2**63)])
async def test_int64_edges_reach_the_field_rules(
    evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]], year: int
) -> None:
    content = {"programme": "p", "name_ko": "n", "year": year}
    body = assert_problem(await evaluation.post(CYCLES, json=content, headers=auth("city_officer")), 422)
    assert body["code"] == "validation-error" and body["errors"][0]["field"] == "body.year"


async def test_json_that_is_not_utf8_is_400(
    evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    content = b'{"programme": "p\xff", "name_ko": "n", "year": 2017}'
    headers = {**auth("city_officer"), **JSON}
    body = assert_problem(await evaluation.post(CYCLES, content=content, headers=headers), 400, "body")
    assert body["code"] == "malformed-json"


async def test_a_utf8_byte_order_mark_is_ignored(
    evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    content = '\ufeff{"programme": "p", "name_ko": "협치", "year": 2017}'.encode()
    headers = {**auth("city_officer"), **JSON}
    assert (await evaluation.post(CYCLES, content=content, headers=headers)).status_code == 201


async def test_a_big_json_body_is_parsed_off_the_event_loop(
    evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    parse = shared.json_body.parse_json

    def recording(body: bytes) -> object:
        threads.append(threading.current_thread().name)
        return parse(body)

    monkeypatch.setattr(shared.json_body, "parse_json", recording)
    headers = {**auth("city_officer"), **JSON}
    small = b'{"programme": "p", "name_ko": "n", "year": 2017}'
    padded = small[:-1] + b" " * THREAD_PARSE_BYTES + b"}"
    assert (await evaluation.post(CYCLES, content=small, headers=headers)).status_code == 201
    assert (await evaluation.post(CYCLES, content=padded, headers=headers)).status_code == 201
    main = threading.main_thread().name
    assert threads[0] == main and threads[1] != main
