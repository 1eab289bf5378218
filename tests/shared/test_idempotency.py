"""Idempotency-Key on every POST: a retry gets the first answer again and never a second record."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from tempfile import SpooledTemporaryFile
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from shared.idempotency import (
    CHUNK,
    Fingerprint,
    IdempotencyMiddleware,
    fingerprint,
    parse_key,
    replaying,
    spool_body,
)
from shared.settings import async_url
from tests.conftest import Database, ServiceHarness, assert_problem, own_database, pooled_client
from tests.councils.helpers import unique

KEY = "Idempotency-Key"


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, KEY: key}


async def persons_named(client: httpx.AsyncClient, name: str) -> int:
    response = await client.get("/councils/persons", params={"q": name})
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


async def test_a_retry_gets_the_first_answer_again(
    councils: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = keyed(auth("city_officer"), "create-person-1")
    payload = {"name_ko": unique("재시도")}
    first = await councils.post("/councils/persons", json=payload, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = await councils.post("/councils/persons", json=payload, headers=headers)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await persons_named(councils, payload["name_ko"]) == 1


async def test_the_same_key_for_another_body_or_path_is_a_422(
    councils: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = keyed(auth("city_officer"), '"reused-key"')  # the draft's structured-field string form
    name = unique("재사용")
    assert (
        await councils.post("/councils/persons", json={"name_ko": name}, headers=headers)
    ).status_code == 201
    other_body = await councils.post("/councils/persons", json={"name_ko": name + "!"}, headers=headers)
    body = assert_problem(other_body, 422, field="header.Idempotency-Key")
    assert body["code"] == "idempotency-key-reused"
    other_path = await councils.post(
        "/councils/organizations", json={"classification": "other", "name_ko": name}, headers=headers
    )
    assert_problem(other_path, 422, field="header.Idempotency-Key")
    unquoted = await councils.post(
        "/councils/persons", json={"name_ko": name}, headers=keyed(headers, "reused-key")
    )
    assert unquoted.headers["idempotent-replayed"] == "true"  # "k" and k are one key
    assert await persons_named(councils, name) == 1


async def test_keys_belong_to_their_caller(
    councils: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    payload = {"name_ko": unique("호출자")}
    mine = await councils.post(
        "/councils/persons", json=payload, headers=keyed(auth("city_officer", subject="a"), "k-1")
    )
    theirs = await councils.post(
        "/councils/persons", json=payload, headers=keyed(auth("city_officer", subject="b"), "k-1")
    )
    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]


async def test_without_a_key_every_post_creates(
    councils: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    payload = {"name_ko": unique("열쇠없음")}
    for _ in range(2):
        assert (
            await councils.post("/councils/persons", json=payload, headers=auth("city_officer"))
        ).is_success
    assert await persons_named(councils, payload["name_ko"]) == 2


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("a", True),
        ("x" * 255, True),
        ("x" * 256, False),
        ("", False),
        ('""', False),
        ("two words", False),
        ("한글", False),
        ('"quoted-255-' + "x" * 243 + '"', True),
    ],
)
def test_key_syntax_at_its_edges(key: str, valid: bool) -> None:
    if valid:
        assert parse_key(key)
    else:
        with pytest.raises(Exception, match="Idempotency-Key"):
            parse_key(key)


async def test_a_malformed_key_is_a_400_naming_the_header(
    councils: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    response = await councils.post(
        "/councils/persons", json={"name_ko": "x"}, headers=keyed(auth("city_officer"), "x" * 256)
    )
    assert assert_problem(response, 400, field="header.Idempotency-Key")["code"] == "invalid-idempotency-key"


async def test_a_refused_request_is_not_stored(
    councils: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = keyed(auth("city_officer"), "refused-then-fixed")
    refused = await councils.post("/councils/persons", json={"name_ko": ""}, headers=headers)
    assert_problem(refused, 422, field="body.name_ko")
    again = await councils.post("/councils/persons", json={"name_ko": ""}, headers=headers)
    assert_problem(again, 422, field="body.name_ko")
    assert "idempotent-replayed" not in again.headers
    fixed = await councils.post("/councils/persons", json={"name_ko": unique("고침")}, headers=headers)
    assert fixed.status_code == 201  # nothing was stored for the refusals: the key is still free


async def test_an_expired_key_is_free_again_and_expired_rows_are_purged(
    councils_harness: ServiceHarness, auth: Callable[..., dict[str, str]]
) -> None:
    async for client, conn in councils_harness.client():
        headers = auth("city_officer", subject="expiry")
        first = {"name_ko": unique("만료")}
        assert (await client.post("/councils/persons", json=first, headers=keyed(headers, "old"))).is_success
        assert (
            await client.post("/councils/persons", json=first, headers=keyed(headers, "older"))
        ).is_success
        await conn.execute(
            text(
                "UPDATE councils.idempotency_keys SET expires_at = now() - interval '1 second' "
                "WHERE subject = 'expiry'"
            )
        )
        second = {"name_ko": unique("만료")}
        reused = await client.post("/councils/persons", json=second, headers=keyed(headers, "old"))
        assert reused.status_code == 201 and "idempotent-replayed" not in reused.headers
        left = await conn.scalars(text("SELECT key FROM councils.idempotency_keys WHERE subject = 'expiry'"))
        assert list(left) == ["old"]  # "older" expired and was deleted by the next key's commit
        kept = await conn.scalar(
            text(
                "SELECT expires_at - created_at FROM councils.idempotency_keys "
                "WHERE subject = 'expiry' AND key = 'old'"
            )
        )
        assert kept.total_seconds() >= 24 * 3600


async def test_budget_and_evaluation_posts_replay_too(
    budget: httpx.AsyncClient, evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = keyed(auth("city_officer"), "cycle-1")
    for client, path, payload in (
        (budget, "/budget/cycles", {"name_ko": "2077년 시민참여예산", "fiscal_year": 2077}),
        (evaluation, "/evaluation/cycles", {"programme": "p", "name_ko": "2077 평가", "year": 2077}),
    ):
        first = await client.post(path, json=payload, headers=headers)
        assert first.status_code == 201, first.text
        again = await client.post(path, json=payload, headers=headers)
        assert (again.status_code, again.content) == (201, first.content)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers.get("location") == first.headers.get("location")


def test_the_fingerprint_tells_method_path_query_and_body_apart() -> None:
    base = fingerprint("POST", "/a", b"", b"{}")
    assert base == fingerprint("POST", "/a", b"", b"{}")
    others = {
        fingerprint("PUT", "/a", b"", b"{}"),
        fingerprint("POST", "/b", b"", b"{}"),
        fingerprint("POST", "/a", b"x=1", b"{}"),
        fingerprint("POST", "/a", b"", b"{ }"),
        fingerprint("POST", "/a{}", b"", b""),  # no ambiguity where one part ends and the next begins
    }
    assert base not in others and len(others) == 5


def _multipart(boundary: bytes) -> bytes:
    return (
        b"--"
        + boundary
        + b'\r\nContent-Disposition: form-data; name="file"; filename="a.pb"\r\n\r\n'
        + b"META\nkey;value\n" * 50
        + b"\r\n--"
        + boundary
        + b"--\r\n"
    )


@pytest.mark.parametrize("size", [1, 7, 64, 1000])
def test_a_retried_upload_with_a_new_multipart_boundary_is_the_same_request(size: int) -> None:
    def digest(boundary: bytes, chunk: int) -> bytes:
        body = _multipart(boundary)
        hashed = Fingerprint("POST", "/budget/elections/import", b"", boundary)
        for start in range(0, len(body), chunk):
            hashed.update(body[start : start + chunk])
        return hashed.digest()

    first = digest(b"----boundaryAAAAAAAA", size)
    assert first == digest(b"----boundaryBBBBBBBB", 3)
    assert first != fingerprint("POST", "/budget/elections/import", b"", _multipart(b"----boundaryAAAAAAAA"))


async def test_a_spooled_body_reaches_the_route_intact_in_chunks() -> None:
    body = bytes(range(256)) * (CHUNK * 3 // 256 + 7)  # three chunks and a bit: spooled, replayed in four
    parts = [body[i : i + 10_000] for i in range(0, len(body), 10_000)]
    incoming = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    digest = Fingerprint("POST", "/x", b"")
    with SpooledTemporaryFile(max_size=CHUNK) as spool:
        replay = replaying(spool, await spool_body(receive, digest, spool), receive)
        messages = [await replay()]
        while messages[-1]["more_body"]:
            messages.append(await replay())
        assert (await replay())["type"] == "http.disconnect"
    assert b"".join(m["body"] for m in messages) == body and len(messages) == 4
    assert digest.digest() == fingerprint("POST", "/x", b"", body)


# Committed for real: each request is its own unit of work, as in production.


@pytest.fixture(scope="module")
def committed_database(database: Database) -> Database:
    """A database of its own (the councils schema only) for what these tests commit, so the rolled-back tests
    never see it."""
    return own_database(database, "seoul_test_shared_committed", ("councils",))


@pytest.fixture
async def committed_councils(
    committed_database: Database,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    from services.councils.main import create_app
    from services.councils.settings import CouncilsSettings

    url = committed_database.service_urls["councils"]
    app = create_app(CouncilsSettings(database_url=url))
    async with pooled_client(app, url, 22, 0) as client:
        yield app, client


async def test_twenty_racing_retries_create_one_record_and_get_one_answer(
    committed_councils: tuple[FastAPI, httpx.AsyncClient], auth: Callable[..., dict[str, str]]
) -> None:
    _, client = committed_councils
    headers = keyed(auth("city_officer", subject="racer"), unique("race").replace(" ", "-"))
    payload = {"name_ko": unique("경합")}
    responses = await asyncio.gather(
        *(client.post("/councils/persons", json=payload, headers=headers) for _ in range(20))
    )
    assert Counter(r.status_code for r in responses) == {201: 20}, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    assert Counter(r.headers.get("idempotent-replayed") for r in responses) == {None: 1, "true": 19}
    assert await persons_named(client, payload["name_ko"]) == 1


def _middleware_options(app: FastAPI) -> dict[str, Any]:
    options = next(m for m in app.user_middleware if m.cls is IdempotencyMiddleware).kwargs
    assert isinstance(options, dict)
    return options


async def test_a_key_held_by_a_running_request_is_a_409_after_a_bounded_wait(
    committed_councils: tuple[FastAPI, httpx.AsyncClient],
    committed_database: Database,
    auth: Callable[..., dict[str, str]],
) -> None:
    app, client = committed_councils
    _middleware_options(app)["wait_seconds"] = 0.2  # before the first request builds the middleware stack
    key = unique("held").replace(" ", "-")
    engine = create_async_engine(async_url(committed_database.service_urls["councils"]))
    try:
        async with engine.connect() as holder:
            await _hold_key(holder, "holder", key)
            response = await client.post(
                "/councils/persons",
                json={"name_ko": unique("대기")},
                headers=keyed(auth("city_officer", subject="holder"), key),
            )
            body = assert_problem(response, 409, field="header.Idempotency-Key")
            assert body["code"] == "idempotency-key-in-use" and response.headers["retry-after"] == "1"
            await holder.rollback()
    finally:
        await engine.dispose()


async def _hold_key(conn: AsyncConnection, subject: str, key: str) -> None:
    """What a running first request holds: the key's row, inserted and not yet committed."""
    await conn.execute(
        text(
            "INSERT INTO councils.idempotency_keys (subject, key, fingerprint, expires_at) "
            "VALUES (:s, :k, '\\x00', now() + interval '1 hour')"
        ),
        {"s": subject, "k": key},
    )


async def test_a_500_is_never_stored_and_its_writes_are_rolled_back(
    committed_councils: tuple[FastAPI, httpx.AsyncClient],
    auth: Callable[..., dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.councils.people import service

    app, client = committed_councils
    create_person = service.create_person

    async def create_then_fail(*args: Any, **kwargs: Any) -> Any:
        await create_person(*args, **kwargs)  # the write is flushed, then the handler breaks
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "create_person", create_then_fail)
    headers = keyed(auth("city_officer", subject="crash"), unique("crash").replace(" ", "-"))
    payload = {"name_ko": unique("오류")}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as failing:
        crashed = await failing.post("/councils/persons", json=payload, headers=headers)
    assert crashed.status_code == 500
    assert await persons_named(client, payload["name_ko"]) == 0
    monkeypatch.setattr(service, "create_person", create_person)
    retried = await client.post("/councils/persons", json=payload, headers=headers)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert await persons_named(client, payload["name_ko"]) == 1
