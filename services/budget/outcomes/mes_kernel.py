"""ctypes binding of ``_mes_kernel.c``: certified float64 runs of the Method of Equal Shares.

The C library is built by ``pip install`` (setup.py) as an optional extension. A run either
is certified, and then its outcome is the exact outcome, or reports that some decision was
too close to call in float64; equal_shares.py then redoes that step in exact arithmetic.
Without a C compiler the library is absent, :func:`load_kernel` returns None and every step
is computed exactly (slower, same results). So does a library that fails to load (a corrupt
file, another architecture, a missing symbol): a logged warning, never an error. The
environment variable ``BUDGET_MES_KERNEL_PATH`` loads the library from another file.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import weakref
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

log = logging.getLogger(__name__)

UNIT_ROUNDOFF = 2.0**-53


def tolerance(longest_sum: int) -> float:
    """Relative error bound of one operation chain of the kernel (its ``gamma``).

    A sum of ``n`` products errs by at most ``n * u`` of the sum of their sizes (u = 2^-53); the
    kernel's sums run over one project's supporters. Four times that, with room for the few
    operations around each sum, is the bound the kernel charges; errors carried over from earlier
    rounds are tracked per voter, so a certified decision is the decision exact arithmetic makes.
    """
    return 4.0 * (longest_sum + 8) * UNIT_ROUNDOFF


_LIBRARY = "services.budget.outcomes._mes_kernel"
PATH_VARIABLE = "BUDGET_MES_KERNEL_PATH"
_c_double_p = ctypes.POINTER(ctypes.c_double)
_c_int_p = ctypes.POINTER(ctypes.c_int)


class _Problem(ctypes.Structure):
    _fields_ = [
        ("m", ctypes.c_int),
        ("n", ctypes.c_int),
        ("cost", _c_double_p),
        ("scale", _c_double_p),
        ("total_util", _c_double_p),
        ("rank", _c_int_p),
        ("eligible", _c_int_p),
        ("n_eligible", ctypes.c_int),
        ("indptr", _c_int_p),
        ("ballot", _c_int_p),
        ("points", _c_double_p),
        ("weight", _c_double_p),
    ]


class _Params(ctypes.Structure):
    _fields_ = [
        ("b", ctypes.c_double),
        ("start", ctypes.c_double),
        ("step", ctypes.c_double),
        ("k", ctypes.c_longlong),
        ("track", ctypes.c_int),
        ("tol", ctypes.c_double),
    ]


class _Result(ctypes.Structure):
    _fields_ = [
        ("n_selected", ctypes.c_int),
        ("uncertain", ctypes.c_int),
        ("has_limit", ctypes.c_int),
        ("k_max", ctypes.c_longlong),
    ]


def _library_path() -> str | None:
    if override := os.environ.get(PATH_VARIABLE):
        return override
    spec = importlib.util.find_spec(_LIBRARY)
    return spec.origin if spec is not None else None


@cache
def _library() -> ctypes.CDLL | None:
    path = _library_path()
    if path is None:
        log.warning("MES kernel not built (no C compiler at install?): MES runs in exact arithmetic only")
        return None
    try:
        library = ctypes.CDLL(path)
        _declare(library)
    except (OSError, AttributeError) as exc:  # unreadable, corrupt, foreign, or without mes_run
        log.warning("MES kernel %s failed to load (%s): MES runs in exact arithmetic only", path, exc)
        return None
    return library


def _declare(library: ctypes.CDLL) -> None:
    library.mes_workspace_new.restype = ctypes.c_void_p
    library.mes_workspace_new.argtypes = [ctypes.POINTER(_Problem)]
    library.mes_workspace_free.restype = None
    library.mes_workspace_free.argtypes = [ctypes.c_void_p]
    library.mes_run.restype = ctypes.c_int
    library.mes_run.argtypes = [
        ctypes.POINTER(_Problem),
        ctypes.c_void_p,
        ctypes.POINTER(_Params),
        ctypes.POINTER(_Result),
        _c_int_p,
        _c_double_p,
        _c_int_p,
        _c_double_p,
    ]


@dataclass(frozen=True, slots=True)
class KernelRun:
    """A certified run: funded projects in order, their price per point, and what was dropped."""

    selected: list[int]
    prices: list[float]
    dropped: dict[int, tuple[int, float]]
    """Unaffordable project -> (projects funded before it was dropped, money its supporters had)."""
    k_max: int | None
    """Largest Add1 step with provably the same outcome; None when no larger step can differ."""


def _doubles(values: Sequence[float]) -> array[float]:
    return array("d", values)


def _ints(values: Sequence[int]) -> array[int]:
    return array("i", values)


def _flat_ints(rows: Sequence[Sequence[int]]) -> array[int]:
    """The rows one after the other (never empty: ctypes needs an address)."""
    flat = array("i")
    for row in rows:
        flat.extend(row)
    return flat if flat else array("i", [0])


def _as_doubles(values: array[float]) -> ctypes._Pointer[ctypes.c_double]:
    return ctypes.cast(values.buffer_info()[0], _c_double_p)


def _as_ints(values: array[int]) -> ctypes._Pointer[ctypes.c_int]:
    return ctypes.cast(values.buffer_info()[0], _c_int_p)


def _free_workspaces(library: ctypes.CDLL, idle: list[int]) -> None:
    while idle:
        library.mes_workspace_free(idle.pop())


class MesKernel:
    """An election laid out for the C kernel: projects' supporters as compressed rows.

    Runs are made in workspaces (every ballot's budget: 29 MB at 731,674 distinct ballots) that the kernel
    maps once and reuses: one per run in progress at a time, so one per Add1 worker thread. They are
    unmapped by :meth:`close`, or when the kernel object is collected.
    """

    def __init__(
        self,
        *,
        costs: Sequence[float],
        scale: Sequence[float],
        total_util: Sequence[float],
        rank: Sequence[int],
        eligible: Sequence[int],
        supporters: Sequence[Sequence[int]],
        points: Sequence[Sequence[float]] | None,
        weights: Sequence[int],
        library: ctypes.CDLL,
    ) -> None:
        indptr = [0]
        for group in supporters:
            indptr.append(indptr[-1] + len(group))
        self._library = library
        self._m = len(costs)
        self._tolerance = tolerance(max((len(group) for group in supporters), default=0))
        # The arrays must outlive every call: the structure only points at them.
        self._arrays = (
            _doubles(costs),
            _doubles(scale),
            _doubles(total_util),
            _ints(rank),
            _ints(eligible or [0]),
            _ints(indptr),
            _flat_ints(supporters),
            _doubles(
                [u for group in points for u in group] if points is not None else [1.0] * indptr[-1] or [1.0]
            ),
            _doubles(weights or [0.0]),
        )
        costs_, scale_, total_, rank_, eligible_, indptr_, ballot_, points_, weights_ = self._arrays
        self._problem = _Problem(
            m=self._m,
            n=len(weights),
            cost=_as_doubles(costs_),
            scale=_as_doubles(scale_),
            total_util=_as_doubles(total_),
            rank=_as_ints(rank_),
            eligible=_as_ints(eligible_),
            n_eligible=len(eligible),
            indptr=_as_ints(indptr_),
            ballot=_as_ints(ballot_),
            points=_as_doubles(points_),
            weight=_as_doubles(weights_),
        )
        self._idle: list[int] = []
        """Workspaces not in use by a run (addresses); list.pop and list.append are atomic."""
        weakref.finalize(self, _free_workspaces, library, self._idle)

    def close(self) -> None:
        """Unmap the workspaces now (the kernel can still run: it maps new ones)."""
        _free_workspaces(self._library, self._idle)

    def run(self, b: float, start: float, step: float, k: int, track: bool) -> KernelRun | None:
        """MES at per-voter budget ``b`` (= start + k * step); None if it could not be certified (or run)."""
        m = max(self._m, 1)
        selected = (ctypes.c_int * m)()
        prices = (ctypes.c_double * m)()
        drop_round = (ctypes.c_int * m)()
        drop_money = (ctypes.c_double * m)()
        result = _Result()
        params = _Params(b, start, step, k, int(track), self._tolerance)
        try:
            workspace = self._idle.pop()
        except IndexError:
            workspace = self._library.mes_workspace_new(ctypes.byref(self._problem))
            if not workspace:
                log.warning("MES kernel could not allocate its working memory: this run is made exactly")
                return None
        try:
            status = self._library.mes_run(
                ctypes.byref(self._problem), workspace, ctypes.byref(params), ctypes.byref(result),
                selected, prices, drop_round, drop_money,
            )  # fmt: skip
        finally:
            self._idle.append(workspace)
        if status != 0:
            log.warning("MES kernel refused its workspace: this run is made exactly")
            return None
        if result.uncertain:
            return None
        n = result.n_selected
        dropped = {j: (drop_round[j], drop_money[j]) for j in range(self._m) if drop_round[j] >= 0}
        k_max = int(result.k_max) if result.has_limit else None
        return KernelRun(list(selected[:n]), list(prices[:n]), dropped, k_max)


def load_kernel() -> ctypes.CDLL | None:
    """The compiled kernel, or None when it was not built or does not load."""
    return _library()


def kernel_loaded() -> bool:
    """Whether MES runs are accelerated by the C kernel (readiness detail and metric)."""
    return _library() is not None


def reload_kernel() -> ctypes.CDLL | None:
    """Load the library again (after BUDGET_MES_KERNEL_PATH changed, say)."""
    _library.cache_clear()
    return _library()
