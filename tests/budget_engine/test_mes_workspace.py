"""The MES kernel's working memory: workspaces reused across runs, and exact runs' memory handed back."""

from __future__ import annotations

import ctypes
import gc
import platform
import random
from fractions import Fraction

import pytest
from gmpy2 import mpq

from services.budget.outcomes import Instance, build_instance, make_instance, mes_election
from services.budget.outcomes import equal_shares as add1_module
from services.budget.outcomes.equal_shares import equal_shares
from services.budget.outcomes.heap import release_free_memory
from services.budget.outcomes.instance import MES_TIE_BREAK, normalise_tie_break, tie_break_rank
from services.budget.outcomes.mes_kernel import KernelRun, MesKernel, _Params, _Result
from services.budget.pabulib import parse_pb_file
from tests.conftest import SHARED_DIR, require_shared


def _kernel(election: Instance) -> tuple[MesKernel, mpq]:
    prep = mes_election.prepare(election, tie_break_rank(election, normalise_tie_break(MES_TIE_BREAK)))
    kernel = mes_election.kernel_for(prep)
    assert kernel is not None
    return kernel, prep.budget / election.n_voters


def _run(kernel: MesKernel, start: mpq, k: int) -> KernelRun | None:
    return kernel.run(float(start + k), float(start), 1.0, k, track=True)


def _random_election(seed: int) -> Instance:
    rng = random.Random(seed)
    projects = {f"p{i}": rng.choice([6, 10, 12, 20, 30, 45]) for i in range(rng.randint(2, 12))}
    ids = list(projects)
    ballots: list[list[str] | dict[str, Fraction | int]] = []
    for _ in range(rng.randint(1, 60)):
        chosen = rng.sample(ids, rng.randint(1, min(5, len(ids))))
        ballots.append({p: rng.randint(1, 4) for p in chosen} if seed % 3 == 0 else chosen)
    return make_instance(projects, rng.randint(min(projects.values()), sum(projects.values())), ballots)


def _real_election() -> Instance:
    path = require_shared(SHARED_DIR / "data" / "pabulib" / "Poland_Wieliczka_2023_Green_Budget.pb")
    return build_instance(parse_pb_file(path))


@pytest.mark.parametrize("seed", range(10))
def test_a_reused_workspace_gives_the_runs_of_fresh_ones(seed: int) -> None:
    # Steps out of order, so that each run starts from budgets another run left in the workspace.
    election = _random_election(3000 + seed) if seed else _real_election()
    reused, start = _kernel(election)
    steps = list(range(40))
    random.Random(seed).shuffle(steps)
    for k in steps:
        fresh, _ = _kernel(election)
        assert _run(reused, start, k) == _run(fresh, start, k), f"step {k}"
        fresh.close()
    assert len(reused._idle) == 1  # one run at a time: one workspace, made once


def test_closing_unmaps_the_workspaces_and_the_kernel_still_runs() -> None:
    kernel, start = _kernel(_real_election())
    before = _run(kernel, start, 0)
    assert len(kernel._idle) == 1
    kernel.close()
    assert kernel._idle == []
    assert _run(kernel, start, 0) == before


def test_a_collected_kernel_unmaps_its_workspaces() -> None:
    kernel, start = _kernel(_real_election())
    _run(kernel, start, 0)
    idle = kernel._idle
    assert len(idle) == 1
    del kernel
    gc.collect()
    assert idle == []


def test_a_workspace_made_for_a_smaller_election_is_refused() -> None:
    small, _ = _kernel(make_instance({"a": 10}, 10, [["a"]]))
    large, start = _kernel(_real_election())
    library = large._library
    workspace = library.mes_workspace_new(ctypes.byref(small._problem))
    assert workspace
    try:
        m = large._m
        params = _Params(float(start), float(start), 1.0, 0, 1, large._tolerance)
        status = library.mes_run(
            ctypes.byref(large._problem), workspace, ctypes.byref(params), ctypes.byref(_Result()),
            (ctypes.c_int * m)(), (ctypes.c_double * m)(), (ctypes.c_int * m)(), (ctypes.c_double * m)(),
        )  # fmt: skip
        assert status == -1
    finally:
        library.mes_workspace_free(workspace)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_free_memory_is_handed_back_on_glibc() -> None:
    assert release_free_memory()


@pytest.mark.parametrize("release_from", [0, None])
def test_exact_runs_hand_their_memory_back_at_city_scale_only(
    release_from: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A city-wide vote (RELEASE_FROM distinct ballots, forced to 0 here) releases after every exact run;
    # a small election, whose runs without the kernel are all exact, never does.
    released: list[bool] = []
    monkeypatch.setattr(add1_module, "release_free_memory", lambda: released.append(release_free_memory()))
    if release_from is not None:
        monkeypatch.setattr(add1_module, "RELEASE_FROM", release_from)
    election = _random_election(7)
    outcome = equal_shares(election, accelerate=False)
    exact_runs = outcome.params["mes_runs"] + 1  # and the final run
    assert len(released) == (exact_runs if release_from is not None else 0)
    assert outcome.selected == equal_shares(election).selected
