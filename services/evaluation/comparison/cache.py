"""Cycle comparisons kept by the version of the evaluation data they were computed from.

Every insert, update and delete of a table the comparison reads (targets, indicators, rubric levels,
self-evaluations, scores, panel members, recusals) writes a row of `evaluation.history` in its own transaction
(the `record_history` trigger), and history rows are never changed or removed (`history_immutable`). So the
history rows a snapshot sees only ever grow, and their count names the data that snapshot sees: two reads
that count the same number of history rows see the same committed changes. (The largest id alone would not
do: ids are taken before commit, so a transaction holding a smaller id can commit after a larger one.)
An answer is kept only if the count did not move during its reads, and is reused by any later read that
counts the same. Each process keeps its own few answers, least recently used out.
"""

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

Answer = TypeVar("Answer")


@dataclass(frozen=True)
class DataVersion:
    history_rows: int  # how many history rows the snapshot sees
    history_id: int | None  # the largest of their ids, for the logs and the reader (None: no history yet)


class VersionedCache(Generic[Answer]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._answers: OrderedDict[tuple[Hashable, DataVersion], Answer] = OrderedDict()

    def get(self, key: Hashable, version: DataVersion) -> Answer | None:
        answer = self._answers.get((key, version))
        if answer is not None:
            self._answers.move_to_end((key, version))
        return answer

    def keep(self, key: Hashable, before: DataVersion, after: DataVersion, answer: Answer) -> bool:
        """Keep the answer if no change committed during its reads; returns whether it was kept."""
        if before != after:
            return False
        self._answers[(key, before)] = answer
        self._answers.move_to_end((key, before))
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)
        return True
