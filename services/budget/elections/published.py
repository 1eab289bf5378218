"""A published outcome as served: its strong ETag, If-None-Match, and its JSON kept by record id.

An outcome record never changes (a trigger refuses UPDATE and DELETE, migration 0003) and the election's
pointer to its published one is written once (0006), so the JSON of record N is the same in every process
forever: keeping it needs no invalidation, and replicas cannot disagree.
"""

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OutcomeAnswer:
    """An outcome read: the record's id, whether it is the published one, and its JSON.

    `body` is None when the caller's If-None-Match already names the published record: nothing more is read.
    """

    record_id: int
    published: bool
    body: bytes | None


def published_etag(record_id: int) -> str:
    """A strong ETag: the record is immutable, so its id identifies its content."""
    return f'"outcome-{record_id}"'


class PublishedBodies:
    """The JSON of the most recently read published outcomes, by record id (least recently used goes)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.entries: OrderedDict[int, bytes] = OrderedDict()

    def get(self, record_id: int) -> bytes | None:
        body = self.entries.get(record_id)
        if body is not None:
            self.entries.move_to_end(record_id)
        return body

    def put(self, record_id: int, body: bytes) -> None:
        self.entries[record_id] = body
        self.entries.move_to_end(record_id)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
