"""Approval ballots as one PostgreSQL binary COPY stream, made in the import's worker thread.

asyncpg's ``copy_records_to_table`` encodes every value of every record with a Python-level call in the
event loop (~2.3 s of CPU per million ballots, under the GIL the parsing worker needs too). Here a batch's
rows become the bytes of one COPY statement at once: in C (``copy_ballots`` in pabulib/_votes.c, built with
the splitter) or, without a compiler, by ``encode_ballots`` below; both give the same bytes, which are
asyncpg's for the same records. Only the columns of an approval ballot: ballots with points keep asyncpg's
records path.
"""

from collections.abc import Sequence
from itertools import chain
from struct import Struct

try:
    from services.budget.pabulib._votes import copy_ballots, order_of
except ImportError:  # built by setup.py when a C compiler is present
    copy_ballots = None  # type: ignore[assignment]
    order_of = None  # type: ignore[assignment]

COPY_COLUMNS = ("election_id", "voter_hash", "voter_group", "project_ids")
SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # flags and header extension length: none
TRAILER = b"\xff\xff"
TEXT_OID = 25
_ROW_HEAD = Struct("!hiii")  # 4 fields; election_id's length 4 and value; the voter hash's length
_LENGTH = Struct("!i")
_ARRAY_HEAD = Struct("!iiiiii")  # length, 1 dimension, no NULLs, text elements, size, lower bound 1
_EMPTY_ARRAY = Struct("!iiii").pack(12, 0, 0, TEXT_OID)


def _text(value: str) -> bytes:
    data = value.encode()
    return _LENGTH.pack(len(data)) + data


def encode_ballots(
    election_id: int, voter_hashes: list[bytes], groups: str | list[str], votes: list[Sequence[str]]
) -> bytes:
    """One COPY stream (signature, a row per ballot, trailer) of ``COPY_COLUMNS``."""
    if len(votes) != len(voter_hashes) or (not isinstance(groups, str) and len(groups) != len(votes)):
        raise ValueError("a group (or one for all), a vote and a voter hash per ballot")
    if not -(2**31) <= election_id < 2**31:
        raise OverflowError("election_id is not an int4")
    one_group = _text(groups) if isinstance(groups, str) else None
    parts = [SIGNATURE]
    for i, (voter_hash, vote) in enumerate(zip(voter_hashes, votes, strict=True)):
        parts.append(_ROW_HEAD.pack(4, 4, election_id, len(voter_hash)))
        parts.append(voter_hash)
        parts.append(one_group if one_group is not None else _text(groups[i]))
        if vote:
            items = b"".join(chain.from_iterable((_LENGTH.pack(len(d)), d) for d in map(str.encode, vote)))
            parts.append(_ARRAY_HEAD.pack(20 + len(items), 1, 0, TEXT_OID, len(vote), 1))
            parts.append(items)
        else:
            parts.append(_EMPTY_ARRAY)
    parts.append(TRAILER)
    return b"".join(parts)


def ballots_stream(
    election_id: int, voter_hashes: list[bytes], groups: str | list[str], votes: list[Sequence[str]]
) -> bytes:
    """``encode_ballots``, in C when the extension is built."""
    if copy_ballots is not None:
        return copy_ballots(election_id, voter_hashes, groups, votes)
    return encode_ballots(election_id, voter_hashes, groups, votes)


def hash_order(voter_hashes: list[bytes]) -> list[int]:
    """The indexes of ``voter_hashes`` in ascending order of the hashes (the unique index's order)."""
    if order_of is not None:
        return order_of(voter_hashes)
    return sorted(range(len(voter_hashes)), key=voter_hashes.__getitem__)
