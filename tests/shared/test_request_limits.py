"""Bodies have limits: none where none belongs, at most the route's limit, checked before the body is read."""

import functools
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from shared.request_limits import BodyLimitMiddleware
from tests.conftest import Database, ServiceHarness, _harness, assert_problem

JSON_LIMIT = 2000
UPLOAD_FILE_LIMIT = 1000
UPLOAD_LIMIT = UPLOAD_FILE_LIMIT + 64 * 1024  # the file and its multipart envelope


@pytest.fixture(scope="module")
def small_limits_harness(database: Database) -> ServiceHarness:
    from services.budget.main import create_app
    from services.budget.settings import BudgetSettings

    settings = functools.partial(
        BudgetSettings,
        max_body_bytes=JSON_LIMIT,
        max_upload_body_bytes=10,
        import_max_bytes=UPLOAD_FILE_LIMIT,
    )
    return _harness(database, "budget", create_app, settings)  # type: ignore[no-any-return]


@pytest.fixture
async def budget_small(small_limits_harness: ServiceHarness) -> AsyncIterator[httpx.AsyncClient]:
    async for client, _ in small_limits_harness.client():
        yield client


class Chunks:
    """A chunked request body that records how much of it the server pulled."""

    def __init__(self, total: int, chunk: int = 500) -> None:
        self.total, self.chunk, self.sent = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            size = min(self.chunk, self.total - self.sent)
            self.sent += size
            yield b" " * size


def cycle_json(size: int) -> bytes:
    """A valid cycle, padded with whitespace to exactly `size` bytes."""
    body = '{"name_ko": "2018년 시민참여예산", "fiscal_year": 2018}'.encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


@pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE", "OPTIONS"])
async def test_a_body_where_none_belongs_is_refused_unread(
    budget_small: httpx.AsyncClient, method: str
) -> None:
    response = await budget_small.request(method, "/budget/cycles", content=b"[" * 5000)
    assert response.status_code == 400
    assert "connection" not in response.headers  # a sized body: the server discards it, the connection stays
    if method != "HEAD":
        body = assert_problem(response, 400, "body")
        assert body["code"] == "body-not-allowed"
    chunks = Chunks(50_000)
    response = await budget_small.request(method, "/budget/cycles", content=chunks)
    assert response.status_code == 400 and chunks.sent <= chunks.chunk  # at most the first chunk was pulled
    assert response.headers["connection"] == "close"  # an unsized body: the connection goes with it


async def test_an_empty_body_on_a_get_is_fine(budget_small: httpx.AsyncClient) -> None:
    response = await budget_small.get("/budget/cycles", headers={"content-length": "0"})
    assert response.status_code == 200


async def test_a_json_body_at_the_limit_passes_and_one_byte_more_is_413(
    budget_small: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = {**auth("city_officer"), "content-type": "application/json"}
    at = await budget_small.post("/budget/cycles", content=cycle_json(JSON_LIMIT), headers=headers)
    assert at.status_code == 201, at.text
    over = await budget_small.post("/budget/cycles", content=cycle_json(JSON_LIMIT + 1), headers=headers)
    body = assert_problem(over, 413, "body")
    assert body["code"] == "payload-too-large" and body["max_body_bytes"] == JSON_LIMIT
    assert f"{JSON_LIMIT:,}" in body["detail"]


async def test_a_chunked_body_is_counted_while_it_streams(
    budget_small: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = {**auth("city_officer"), "content-type": "application/json"}

    async def stream(body: bytes) -> AsyncIterator[bytes]:
        for start in range(0, len(body), 300):
            yield body[start : start + 300]

    at = await budget_small.post("/budget/cycles", content=stream(cycle_json(JSON_LIMIT)), headers=headers)
    assert at.status_code == 201, at.text
    chunks = Chunks(10 * JSON_LIMIT)
    over = await budget_small.post("/budget/cycles", content=chunks, headers=headers)
    assert assert_problem(over, 413, "body")["code"] == "payload-too-large"
    assert over.headers["connection"] == "close"
    assert chunks.sent < 10 * JSON_LIMIT  # refused while streaming, not after the whole body


async def test_the_upload_route_has_its_own_larger_limit(
    budget_small: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = auth("city_officer")
    files = {"file": ("x.pb", b"META\nkey;value\n" + b"#" * (JSON_LIMIT * 2), "text/plain")}
    bigger_than_json = await budget_small.post("/budget/elections/import", files=files, headers=headers)
    # past the JSON limit, still within the upload one: the import's own rules answer (the file's size)
    assert assert_problem(bigger_than_json, 413, "body.file")["code"] == "file-too-large"
    files = {"file": ("x.pb", b"#" * UPLOAD_LIMIT, "text/plain")}
    over = await budget_small.post("/budget/elections/import", files=files, headers=headers)
    body = assert_problem(over, 413, "body")
    assert body["code"] == "payload-too-large" and body["max_body_bytes"] == UPLOAD_LIMIT


async def _call(middleware: BodyLimitMiddleware, headers: list[tuple[bytes, bytes]]) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": "/x", "headers": headers}
    await middleware(scope, receive, send)
    return sent


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1e3", b" 12", b"9" * 40])
async def test_a_content_length_that_is_no_size_is_400(length: bytes) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # never reached
        raise AssertionError

    middleware = BodyLimitMiddleware(app, default=JSON_LIMIT, special=[])
    sent = await _call(middleware, [(b"content-length", length)])
    assert sent[0]["status"] == 400 and b"invalid-content-length" in sent[1]["body"]


async def test_a_huge_content_length_is_413_up_front() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # never reached
        raise AssertionError

    middleware = BodyLimitMiddleware(app, default=JSON_LIMIT, special=[])
    sent = await _call(middleware, [(b"content-length", b"9" * 19)])
    assert sent[0]["status"] == 413 and b"payload-too-large" in sent[1]["body"]
