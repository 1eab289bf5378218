"""ETag and If-Match (RFC 9110 §8.8.3, §13.1.1) for records that carry a version column.

A record's strong ETag is its version, which a trigger increments at every UPDATE of the row. A PATCH with
If-Match locks the row (SELECT … FOR UPDATE) before it compares, so of two PATCHes sent with the same ETag
exactly one changes the record: the other waits for the lock, then sees the new version and answers 412. A GET
reads the version before the record, so a change committed in between makes a later If-Match fail (412), never
pass on stale data.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Header, Path, Response
from sqlalchemy import text

from shared.db import SessionDep
from shared.problems import ProblemError

IF_MATCH_FIELD = "header.If-Match"

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description=(
            "The record's ETag as read (or `*`): the change is made only if the record has not changed "
            "since; otherwise 412 `precondition-failed`. Without it the change is made unconditionally."
        ),
    ),
]


class PreconditionFailed(ProblemError):
    status, code, title = 412, "precondition-failed", "Precondition failed"
    title_ko = "전제 조건 실패"


def if_none_match_hits(header: str | None, tag: str) -> bool:
    """Weak comparison against a list of entity tags (RFC 9110 §13.1.2), `*` matching any."""
    if header is None:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return any(t == "*" or t == tag for t in tags)


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_passes(header: str, version: int) -> bool:
    """Strong comparison against a list of entity tags; a weak tag (W/"…") never matches."""
    current = etag(version)
    tags = [tag.strip() for tag in header.split(",")]
    return any(tag == "*" or tag == current for tag in tags)


class RecordVersion:
    """The version of one row, read in the request's unit of work; `tag` puts it on a response."""

    def __init__(self, session: SessionDep, table: str, record_id: int) -> None:
        self.session = session
        self.table = table
        self.record_id = record_id

    async def read(self, *, lock: bool = False) -> int | None:
        sql = f"SELECT version FROM {self.table} WHERE id = :id" + (" FOR UPDATE" if lock else "")
        version: int | None = await self.session.scalar(text(sql), {"id": self.record_id})
        return version

    async def tag(self, response: Response) -> None:
        version = await self.read()
        if version is not None:
            response.headers["ETag"] = etag(version)


def _id_param(name: str) -> object:
    return Path(alias=name, ge=1, le=2**31 - 1)


def versioned_read(table: str, id_param: str) -> Callable[..., Awaitable[None]]:
    """A GET dependency: the answer carries the record's ETag (none when the record does not exist)."""

    async def dependency(
        session: SessionDep,
        response: Response,
        record_id: Annotated[int, _id_param(id_param)],
    ) -> None:
        await RecordVersion(session, table, record_id).tag(response)

    return dependency


def versioned_write(table: str, id_param: str) -> Callable[..., Awaitable[RecordVersion]]:
    """A PATCH dependency: honours If-Match before the handler runs; the handler tags its answer after."""

    async def dependency(
        session: SessionDep,
        record_id: Annotated[int, _id_param(id_param)],
        if_match: IfMatchHeader = None,
    ) -> RecordVersion:
        record = RecordVersion(session, table, record_id)
        if if_match is None:
            return record
        version = await record.read(lock=True)
        # A missing record is the handler's 404: a precondition is evaluated only on a record that exists.
        if version is not None and not if_match_passes(if_match, version):
            raise PreconditionFailed(
                f"the record changed since it was read: its ETag is now {etag(version)}; read it again",
                detail_ko=(
                    f"기록을 읽은 뒤 변경되었습니다. 현재 ETag는 {etag(version)}입니다. 다시 읽으십시오."
                ),
                field=IF_MATCH_FIELD,
                extra={"etag": etag(version)},
            )
        return record

    return dependency
