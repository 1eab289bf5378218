"""Handing the memory of a large run in exact arithmetic back to the system (glibc's ``malloc_trim``).

An exact run of MES at a city-wide vote (731,674 distinct ballots) builds ~240,000 budget classes whose
rationals reach ~1,100 bits: gmpy2 keeps their digits in small blocks from ``malloc``, ~200 MB at
the run's peak. Freed, those pages stay in the process: glibc gives back by itself only the free top of
its heap, and these lie below blocks still in use. Each exact run of a long Add1 left the process ~160 MB
larger (bench/PROFILE_seoul_vote.md). ``malloc_trim(0)`` releases every whole free page of every
arena (~40 ms after such a run, against its ~1.5 s). Other C libraries (musl, macOS) have no such call, or
one that does nothing: there this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    function: Callable[[int], int] = trim
    return function


def release_free_memory() -> bool:
    """Give the C heap's free pages back to the system; whether the C library could."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
