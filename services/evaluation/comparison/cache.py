"""Answers about a cycle kept by the cycle's data version (migration 0009: `cycle_data_versions`).

Every insert, update and delete of a table a cycle's comparison or aggregation reads bumps its cycle's
counter in the writing transaction (a deferred trigger, at commit, under the counter's row lock), so the
counter only grows and two reads of the same value saw the same committed changes of that cycle; a change of
another cycle leaves it alone. An answer is kept only if the version did not move during its reads (read
before and after them), and is reused by any later read of the same version. Each process keeps its own few
answers, least recently used out. A transaction that has written (a version of None) reads
fresh and keeps nothing: its own writes are counted only when it commits, and may yet roll back.
"""

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

Answer = TypeVar("Answer")

DataVersion = int
"""A cycle's data version: 0 before its first change, then one more per committed transaction changing it."""


class VersionedCache(Generic[Answer]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._answers: OrderedDict[tuple[Hashable, DataVersion], Answer] = OrderedDict()

    def get(self, key: Hashable, version: DataVersion | None) -> Answer | None:
        if version is None:
            return None
        answer = self._answers.get((key, version))
        if answer is not None:
            self._answers.move_to_end((key, version))
        return answer

    def keep(
        self, key: Hashable, before: DataVersion | None, after: DataVersion | None, answer: Answer
    ) -> bool:
        """Keep the answer if no change committed during its reads (and the reader wrote nothing: None);
        returns whether it was kept."""
        if before is None or before != after:
            return False
        self._answers[(key, before)] = answer
        self._answers.move_to_end((key, before))
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)
        return True

    def clear(self) -> None:
        self._answers.clear()
