"""What every service gets from shared/: health, metrics, request ids, problem+json for every error path."""

import asyncio
import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from shared.logging import AccessLog, JsonFormatter, request_id_var
from tests.conftest import Database, assert_problem


async def test_health_endpoints(councils: httpx.AsyncClient) -> None:
    assert (await councils.get("/livez")).json() == {"status": "ok"}
    assert (await councils.get("/readyz")).json() == {"status": "ready"}
    metrics = await councils.get("/metrics")
    assert "http_requests_total" in metrics.text


async def test_request_id_is_kept_or_made(councils: httpx.AsyncClient) -> None:
    kept = await councils.get("/livez", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    made = await councils.get("/livez", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces" and len(made.headers["x-request-id"]) == 32


async def test_404_and_405_are_problems(councils: httpx.AsyncClient) -> None:
    body = assert_problem(await councils.get("/councils/nowhere"), 404)
    assert body["request_id"]
    assert_problem(await councils.delete("/councils/districts"), 405)


def test_json_logs_keep_korean_and_the_request_id() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "협치 %s", ("서울",), None)
    token = request_id_var.set("rid-1")
    try:
        line = JsonFormatter("councils").format(record)
    finally:
        request_id_var.reset(token)
    assert "협치 서울" in line
    assert json.loads(line)["request_id"] == "rid-1"


@pytest.mark.parametrize(
    "created", [1796284975.0, 1796284975.001, 1796284975.0009995, 1796284975.9995, 1796284975.9999996, 0.25]
)
def test_a_json_log_line_is_stamped_in_utc_to_the_millisecond(created: float) -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "x", None, None)
    record.created = created
    formatter = JsonFormatter("councils")
    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    assert json.loads(formatter.format(record))["ts"] == expected
    record.created = created + 1.5  # the second after, from the same formatter
    expected = datetime.fromtimestamp(created + 1.5, UTC).isoformat(timespec="milliseconds")
    assert json.loads(formatter.format(record))["ts"] == expected


class _Stream(io.StringIO):
    flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


@contextmanager
def _logged() -> Iterator[_Stream]:
    """Logging as `configure_logging` leaves it (the root's one JSON handler, INFO), onto a stream of ours;
    pytest's own capturing handlers (added for each test's call) set aside meanwhile."""
    stream = _Stream()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("councils"))
    handlers, level = logging.root.handlers[:], logging.root.level
    token = request_id_var.set("rid-7")
    logging.root.handlers[:] = [handler]
    logging.root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logging.root.handlers[:] = handlers
        logging.root.setLevel(level)
        request_id_var.reset(token)


ACCESS = {"status": 200, "duration_ms": 1.25, "route": "/councils/districts/{code}"}


def test_the_access_line_written_directly_is_the_logging_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1796284975.0123)
    with _logged() as logged:
        assert AccessLog()._direct_handler() is logging.root.handlers[0]
        AccessLog().write("GET /councils/협치 200", ACCESS)
        logging.getLogger("access").info("%s %s %s", "GET", "/councils/협치", 200, extra=ACCESS)
    direct, through_logging = logged.getvalue().splitlines()
    assert direct == through_logging
    assert json.loads(direct) == {
        "ts": "2026-12-03T08:02:55.012+00:00",
        "level": "info",
        "service": "councils",
        "logger": "access",
        "msg": "GET /councils/협치 200",
        "request_id": "rid-7",
        **ACCESS,
    }


def test_the_access_line_goes_through_logging_when_another_handler_listens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with _logged() as logged, caplog.at_level(logging.INFO, logger="access"):
        logging.root.addHandler(caplog.handler)
        assert AccessLog()._direct_handler() is None
        AccessLog().write("GET /livez 200", ACCESS)
    (record,) = [r for r in caplog.records if r.name == "access"]
    assert record.getMessage() == "GET /livez 200" and record.__dict__["route"] == ACCESS["route"]
    assert json.loads(logged.getvalue())["msg"] == "GET /livez 200"


async def test_access_lines_are_flushed_once_a_turn_of_the_event_loop() -> None:
    access = AccessLog()
    with _logged() as logged:
        for _ in range(3):
            access.write("GET /councils/districts/11110 200", ACCESS)
        assert len(logged.getvalue().splitlines()) == 3 and logged.flushes == 0
        await asyncio.sleep(0)
        assert logged.flushes == 1
        access.write("GET /councils/districts/11110 200", ACCESS)
        await asyncio.sleep(0)
        assert logged.flushes == 2


@pytest.mark.parametrize(
    ("reader", "schema"), [("budget", "councils"), ("councils", "budget"), ("evaluation", "budget")]
)
async def test_a_service_role_cannot_read_another_schema(
    database: Database, reader: str, schema: str
) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    from shared.settings import async_url

    engine = create_async_engine(async_url(database.service_urls[reader]))
    try:
        async with engine.connect() as conn:
            with pytest.raises(ProgrammingError, match="permission denied"):
                await conn.execute(text(f"SELECT 1 FROM {schema}.alembic_version"))
    finally:
        await engine.dispose()


async def test_each_role_owns_its_schema_and_version_table(database: Database) -> None:
    from sqlalchemy import text

    from shared.settings import async_url

    engine = create_async_engine(async_url(database.admin_url))
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT n.nspname, pg_get_userbyid(n.nspowner) FROM pg_namespace n "
                        "WHERE nspname IN ('councils', 'budget', 'evaluation') ORDER BY 1"
                    )
                )
            ).all()
            assert rows == [
                ("budget", "budget_svc"),
                ("councils", "councils_svc"),
                ("evaluation", "evaluation_svc"),
            ]
            for schema in ("councils", "budget", "evaluation"):
                version = await conn.scalar(text(f"SELECT version_num FROM {schema}.alembic_version"))
                assert version
    finally:
        await engine.dispose()


async def test_text_postgresql_cannot_store_is_a_422_naming_the_field(
    evaluation: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = {**auth("city_officer"), "content-type": "application/json"}
    nul = b'{"programme": "p\\u0000", "name_ko": "n", "year": 2017}'
    body = assert_problem(await evaluation.post("/evaluation/cycles", content=nul, headers=headers), 422)
    assert [e["field"] for e in body["errors"]] == ["body.programme"]
    lone = b'{"programme": "p", "name_ko": "\\udbaa\xea\xb5\xac", "year": 2017}'
    assert_problem(
        await evaluation.post("/evaluation/cycles", content=lone, headers=headers), 422, "body.name_ko"
    )
    paired = '{"programme": "p", "name_ko": "\\ud83d\\ude00 협치", "year": 2017}'.encode()
    created = await evaluation.post("/evaluation/cycles", content=paired, headers=headers)
    assert created.status_code == 201 and created.json()["name_ko"] == "😀 협치"
    assert_problem(await evaluation.get("/evaluation/cycles?year=2017&x=%00"), 422, field="query.x")


async def test_an_integer_beyond_the_column_is_a_4xx_not_a_500(
    budget: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    response = await budget.post(
        "/budget/proposals/merge",
        json={"proposal_ids": [1, 11118616340449120], "amount_krw": 1, "title_ko": "병합"},
        headers=auth("city_officer"),
    )
    assert 400 <= response.status_code < 500, response.text
