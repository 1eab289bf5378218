"""Idempotency-Key on POST (draft-ietf-httpapi-idempotency-key-header): a retry gets the first answer again.

The key is reserved by inserting its row in the request's own transaction before the handler runs; the
handler writes through that same session (`shared.db.get_session` takes it from the scope) and the answer is
stored in the row by the same commit as the handler's writes: a key is never stored without its write, nor a
write without its answer. A concurrent request with the same key waits on the row's unique index until the
first commits (then it replays the stored answer) or rolls back (then it runs itself); it waits at most
`wait_seconds`, then gets 409 `idempotency-key-in-use`. Only 2xx answers are stored. Keys are per token
subject and kept `ttl` (24 h); each new key's commit deletes up to 100 expired rows that no one else holds.
"""

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import timedelta
from tempfile import SpooledTemporaryFile
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import UNIT_OF_WORK, sqlstate, translate_db_error
from shared.db_outage import is_database_outage
from shared.language import scope_language
from shared.problems import DatabaseUnavailable, ProblemError, error_response

HEADER = "Idempotency-Key"
FIELD = f"header.{HEADER}"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
_KEY = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]{1,255}$")  # visible ASCII without '"' and '\'
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]*$")
_BOUNDARY = re.compile(r'boundary="?([^";,]+)"?', re.IGNORECASE)
SPOOL_IN_MEMORY = 1 << 20  # bytes of a request body kept in memory; the rest is spooled to a temporary file
CHUNK = 1 << 16
_NOT_REPLAYED = frozenset({b"content-length", b"date", b"server", b"x-request-id"})
_LOCK_WAIT_ENDED = frozenset({"55P03", "57014"})  # lock_timeout, statement_timeout


class InvalidKey(ProblemError):
    status, code, title = 400, "invalid-idempotency-key", "Invalid Idempotency-Key"
    title_ko = "유효하지 않은 Idempotency-Key"


class KeyReused(ProblemError):
    status, code, title = 422, "idempotency-key-reused", "Idempotency-Key reused for another request"
    title_ko = "다른 요청에 재사용된 Idempotency-Key"


class KeyInUse(ProblemError):
    status, code, title = 409, "idempotency-key-in-use", "Idempotency-Key in use"
    title_ko = "사용 중인 Idempotency-Key"


def parse_key(raw: str) -> str:
    """The key from the header: a structured-field string (`"…"`), or the same characters unquoted."""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not _KEY.match(key):
        raise InvalidKey(
            f"an {HEADER} is 1 to {MAX_KEY_LENGTH} visible ASCII characters, optionally in double quotes",
            detail_ko=(
                f"{HEADER}는 1~{MAX_KEY_LENGTH}자의 표시 가능한 ASCII 문자이며, 큰따옴표로 감쌀 수 있습니다."
            ),
            field=FIELD,
        )
    return key


class Fingerprint:
    """What makes two requests the same request: method, path, query and body, byte for byte.

    A multipart body's boundary is left out: a client retrying an upload may draw a new one.
    """

    def __init__(self, method: str, path: str, query: bytes, boundary: bytes | None = None) -> None:
        self._hash = hashlib.sha256()
        for part in (method.encode(), path.encode(), query):
            self._hash.update(len(part).to_bytes(8, "big"))
            self._hash.update(part)
        self._boundary = boundary or b""
        self._tail = b""  # the end of the last chunk, which may hold the start of a boundary

    def update(self, chunk: bytes) -> None:
        if not self._boundary:
            self._hash.update(chunk)
            return
        data = (self._tail + chunk).replace(self._boundary, b"")
        keep = len(self._boundary) - 1
        self._hash.update(data[: max(len(data) - keep, 0)])
        self._tail = data[max(len(data) - keep, 0) :]

    def digest(self) -> bytes:
        self._hash.update(self._tail)
        self._tail = b""
        return self._hash.digest()


def fingerprint(method: str, path: str, query: bytes, body: bytes, boundary: bytes | None = None) -> bytes:
    digest = Fingerprint(method, path, query, boundary)
    digest.update(body)
    return digest.digest()


def _boundary(content_type: str | None) -> bytes | None:
    if not content_type or not content_type.lower().startswith("multipart/"):
        return None
    match = _BOUNDARY.search(content_type)
    return match.group(1).encode("latin-1") if match else None


class _Captured:
    """A response held back until the transaction that produced it has committed."""

    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def stored_headers(self) -> list[list[str]]:
        return [[name.decode("latin-1"), value.decode("latin-1")] for name, value in self.headers]


async def _respond(
    send: Send, status: int, headers: Iterable[tuple[bytes, bytes]], body: bytes, replayed: bool = False
) -> None:
    raw = [(name.lower(), value) for name, value in headers if name.lower() not in _NOT_REPLAYED]
    raw.append((b"content-length", str(len(body)).encode()))
    if replayed:
        raw.append((REPLAYED.lower().encode(), b"true"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _problem(
    scope: Scope, receive: Receive, send: Send, exc: ProblemError, retry: bool = False
) -> None:
    response = error_response(
        exc,
        language=scope_language(scope),
        instance=scope["path"],
        headers={"Retry-After": "1"} if retry else None,
    )
    await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def spool_body(
    receive: Receive, digest: Fingerprint, spool: SpooledTemporaryFile[bytes]
) -> Message | None:
    """Read the whole body into the spool, hashing it, for the route to read again; a disconnect is kept."""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return message
        chunk = message.get("body", b"")
        digest.update(chunk)
        spool.write(chunk)
        if not message.get("more_body", False):
            return None


def replaying(spool: SpooledTemporaryFile[bytes], disconnect: Message | None, receive: Receive) -> Receive:
    size = spool.tell()
    spool.seek(0)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent or disconnect is not None:
            return disconnect or await receive()
        chunk = spool.read(CHUNK)
        sent = spool.tell() >= size
        return {"type": "http.request", "body": chunk, "more_body": not sent}

    return replay


class IdempotencyMiddleware:
    """Runs a POST that carries an Idempotency-Key once per caller and key (see the module docstring)."""

    def __init__(
        self, app: ASGIApp, *, schema: str, ttl: timedelta = timedelta(hours=24), wait_seconds: float = 10.0
    ) -> None:
        if not _SCHEMA.match(schema):
            raise ValueError(f"not a schema name: {schema!r}")
        self.app = app
        self.table = f"{schema}.idempotency_keys"
        self.ttl_seconds = ttl.total_seconds()
        self.wait = f"{int(wait_seconds * 1000)}ms"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        raw_key = _header(scope, b"idempotency-key")
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        try:
            key = parse_key(raw_key)
        except ProblemError as exc:
            await _problem(scope, receive, send, exc)
            return
        subject = await _subject(scope)
        if subject is None:  # anonymous or a bad token: the route answers it (401), nothing to replay
            await self.app(scope, receive, send)
            return
        digest = Fingerprint(
            scope["method"],
            scope["path"],
            scope.get("query_string", b""),
            _boundary(_header(scope, b"content-type")),
        )
        with SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            replay = replaying(spool, await spool_body(receive, digest, spool), receive)
            try:
                await self._run_once(scope, replay, send, subject=subject, key=key, print_=digest.digest())
            except Exception as exc:  # nothing was sent yet: answers are held until the commit
                if not is_database_outage(exc):
                    raise
                await _problem(scope, replay, send, DatabaseUnavailable())

    async def _run_once(
        self, scope: Scope, receive: Receive, send: Send, *, subject: str, key: str, print_: bytes
    ) -> None:
        async with scope["app"].state.sessionmaker() as session:
            try:
                stored = await self._reserve(session, subject, key, print_)
            except DBAPIError as exc:
                await session.rollback()
                if sqlstate(exc) in _LOCK_WAIT_ENDED:
                    detail = "a request with this key is still running; retry later"
                    await _problem(
                        scope,
                        receive,
                        send,
                        KeyInUse(
                            detail,
                            detail_ko="이 키를 사용한 요청이 아직 처리 중입니다. 잠시 후 다시 시도하십시오.",
                            field=FIELD,
                        ),
                        retry=True,
                    )
                    return
                problem = translate_db_error(exc)
                if problem is None:
                    raise
                await _problem(scope, receive, send, problem)
                return
            if stored is not None:
                await session.rollback()
                await self._answer_stored(scope, receive, send, stored, print_)
                return
            captured = _Captured()
            scope[UNIT_OF_WORK] = session
            try:
                await self.app(scope, receive, captured.send)
            except BaseException:
                await session.rollback()
                raise
            finally:
                del scope[UNIT_OF_WORK]
            if 200 <= captured.status < 300:
                try:
                    await self._store(session, subject, key, captured)
                    await session.commit()
                except DBAPIError as exc:
                    await session.rollback()
                    problem = translate_db_error(exc)
                    if problem is None:
                        raise
                    await _problem(scope, receive, send, problem)
                    return
            else:
                await session.rollback()
        await _respond(send, captured.status, captured.headers, captured.body)

    async def _reserve(
        self, session: AsyncSession, subject: str, key: str, print_: bytes
    ) -> dict[str, Any] | None:
        """Take the key in this transaction (None), or return the row another request committed."""
        await session.execute(text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": self.wait})
        taken = await session.scalar(
            text(
                f"INSERT INTO {self.table} AS k (subject, key, fingerprint, expires_at) "
                "VALUES (:subject, :key, :print, now() + make_interval(secs => :ttl)) "
                "ON CONFLICT (subject, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = NULL, "
                "headers = NULL, body = NULL, created_at = now(), expires_at = excluded.expires_at "
                "WHERE k.expires_at <= now() RETURNING true"
            ),
            {"subject": subject, "key": key, "print": print_, "ttl": self.ttl_seconds},
        )
        await session.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
        if taken:
            return None
        row = await session.execute(
            text(
                f"SELECT fingerprint, status, headers, body FROM {self.table} WHERE subject = :s AND key = :k"
            ),
            {"s": subject, "k": key},
        )
        return dict(row.mappings().one())

    async def _store(self, session: AsyncSession, subject: str, key: str, captured: _Captured) -> None:
        """Store the answer with the handler's writes, and purge a few expired keys on the way."""
        await session.execute(
            text(
                f"WITH purged AS (DELETE FROM {self.table} WHERE ctid = ANY(ARRAY("
                f"SELECT ctid FROM {self.table} WHERE expires_at <= now() "
                "ORDER BY expires_at LIMIT 100 FOR UPDATE SKIP LOCKED))) "
                f"UPDATE {self.table} SET status = :status, headers = CAST(:headers AS jsonb), body = :body "
                "WHERE subject = :subject AND key = :key"
            ),
            {
                "status": captured.status,
                "headers": json.dumps(captured.stored_headers()),
                "body": captured.body,
                "subject": subject,
                "key": key,
            },
        )

    async def _answer_stored(
        self, scope: Scope, receive: Receive, send: Send, stored: dict[str, Any], print_: bytes
    ) -> None:
        if bytes(stored["fingerprint"]) != print_:
            detail = f"this {HEADER} was used for another request (method, path or body); use a new key"
            await _problem(
                scope,
                receive,
                send,
                KeyReused(
                    detail,
                    detail_ko=(
                        f"이 {HEADER}는 다른 요청(메서드, 경로 또는 본문)에 사용되었습니다. 새 키를"
                        " 사용하십시오."
                    ),
                    field=FIELD,
                ),
            )
            return
        if stored["status"] is None:  # cannot be committed so; refuse rather than run twice
            problem = KeyInUse(
                "this key's answer is not stored",
                detail_ko="이 키에 대한 응답이 저장되어 있지 않습니다.",
                field=FIELD,
            )
            await _problem(scope, receive, send, problem, retry=True)
            return
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in stored["headers"]]
        await _respond(send, stored["status"], headers, bytes(stored["body"]), replayed=True)


async def _subject(scope: Scope) -> str | None:
    authorization = _header(scope, b"authorization")
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    try:
        identity = await scope["app"].state.verifier.verify(authorization[7:].strip())
    except ProblemError:
        return None
    subject = identity.subject
    return subject if isinstance(subject, str) and subject else None
