"""The database engine of a service and its one unit of work per request."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext, suppress
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.db_outage import guard_pool, is_database_outage
from shared.problems import Conflict, DatabaseUnavailable, ProblemError, RuleViolation
from shared.settings import ServiceSettings, async_url

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    """The service's pooled engine; sessions see Asia/Seoul and a statement timeout.

    No pre-ping (a round trip per checkout): guard_pool drops connections the server closed instead.
    """
    engine = create_async_engine(
        async_url(settings.database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=False,
        connect_args={
            "server_settings": {
                "application_name": settings.service_name,
                "timezone": "Asia/Seoul",
                "statement_timeout": str(settings.db_statement_timeout_ms),
            }
        },
    )
    return guard_pool(engine)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


# Constraint names a service registers to turn a database refusal into a precise problem.
_CONSTRAINT_PROBLEMS: dict[str, tuple[type[ProblemError], str, str | None, str | None]] = {}


def register_constraint(
    name: str,
    problem: type[ProblemError],
    detail: str,
    field: str | None = None,
    *,
    detail_ko: str | None = None,
) -> None:
    """Say which problem a named constraint's violation is (detail, Korean detail, field for the client)."""
    _CONSTRAINT_PROBLEMS[name] = (problem, detail, field, detail_ko)


def sqlstate(exc: DBAPIError) -> str | None:
    """PostgreSQL's SQLSTATE of a failed statement, None when the error did not come from the server."""
    orig = getattr(exc, "orig", None)
    # SQLAlchemy's adapted error wraps asyncpg's (`__cause__`); shared.driver passes asyncpg's own.
    return getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)


def translate_db_error(exc: DBAPIError) -> ProblemError | None:
    """Map a constraint violation or a rule trigger's error to a problem; None when it is not one."""
    if is_database_outage(exc):
        return DatabaseUnavailable()
    orig = getattr(exc, "orig", None)
    state = sqlstate(exc)
    cause = getattr(orig, "__cause__", None) or orig
    constraint = getattr(cause, "constraint_name", None)
    if constraint and constraint in _CONSTRAINT_PROBLEMS:
        problem, detail, field, detail_ko = _CONSTRAINT_PROBLEMS[constraint]
        return problem(detail, detail_ko=detail_ko, field=field)
    message = str(getattr(cause, "message", None) or orig or exc).strip()
    if "invalid input for query argument" in message:
        # asyncpg refused to encode a parameter (an integer beyond the column's range, say) before sending it.
        return RuleViolation(
            f"a value is out of range for its field: {message.split(':', 1)[-1].strip()}",
            detail_ko=f"필드 범위를 벗어난 값입니다: {message.split(':', 1)[-1].strip()}",
        )
    if state == "P0001":  # raised by a rule trigger: its message is written for the client
        return RuleViolation(message, detail_ko=f"데이터베이스 규칙에 따라 거부되었습니다: {message}")
    if state in ("23505", "23P01"):
        return Conflict(
            f"conflicts with an existing record ({constraint or state})",
            detail_ko=f"기존 기록과 충돌합니다({constraint or state}).",
        )
    if state in ("23503", "23514", "23502", "22001", "22003", "22P02", "22007", "22008"):
        return RuleViolation(
            f"rejected by the database ({constraint or state}): {message}",
            detail_ko=f"데이터베이스가 거부했습니다({constraint or state}): {message}",
        )
    if state in ("40001", "40P01", "55P03"):
        return Conflict(
            "a concurrent request changed the same records; retry",
            detail_ko="동시에 처리된 다른 요청이 같은 기록을 변경했습니다. 다시 시도하십시오.",
        )
    return None


UNIT_OF_WORK = "shared.unit_of_work"
"""Scope key of a session opened, and committed, by a middleware around the handler (shared.idempotency)."""


async def _outage(session: AsyncSession) -> DatabaseUnavailable:
    """Drop the session's connections (never back to the pool) and say the database is unavailable."""
    with suppress(Exception):  # the connection is already gone: nothing more to release
        await session.invalidate()
    return DatabaseUnavailable()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One unit of work per request: commit when the handler returns, roll back when it raises.

    When a middleware already opened the request's unit of work (an Idempotency-Key reserved in it), the
    handler writes through that session and this only flushes: the middleware commits, with what it stores.
    When the database went away: 503 with Retry-After (the transaction is lost unless its COMMIT was sent).
    """
    outer: AsyncSession | None = request.scope.get(UNIT_OF_WORK)
    async with nullcontext(outer) if outer is not None else request.app.state.sessionmaker() as session:
        try:
            yield session
            if outer is None:
                await session.commit()
            else:
                await session.flush()
        except ProblemError:
            await session.rollback()
            raise
        except Exception as exc:
            if is_database_outage(exc):
                raise await _outage(session) from exc
            await session.rollback()
            if not isinstance(exc, DBAPIError):
                raise
            problem = translate_db_error(exc)
            if problem is None:
                raise
            raise problem from exc
        except BaseException:
            await session.rollback()
            raise


# scope="function": the commit happens before the response is sent, so a failed commit is the response.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a handler that only reads: no BEGIN and no COMMIT; each statement is its own snapshot.

    A read of one statement gains nothing from a transaction around it, but pays two more round trips and the
    session's transaction bookkeeping (~10 % of a district read's CPU). Never write through it: each statement
    would commit on its own. A sessionmaker bound to a connection that already holds a transaction
    (the tests' rolled-back one) is read inside that transaction.
    """
    async with request.app.state.sessionmaker() as session, _autocommit_errors(session):
        if isinstance(session.bind, AsyncEngine):
            await session.connection(execution_options=_AUTOCOMMIT)
        yield session


@asynccontextmanager
async def _autocommit_errors(session: AsyncSession) -> AsyncIterator[None]:
    """Database errors of an autocommit session as problems (nothing to roll back: no transaction)."""
    try:
        yield
    except ProblemError:
        raise
    except Exception as exc:
        if is_database_outage(exc):
            raise await _outage(session) from exc
        if not isinstance(exc, DBAPIError):
            raise
        problem = translate_db_error(exc)
        if problem is None:
            raise
        raise problem from exc


# scope="function": the connection goes back to the pool before the response is sent.
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
