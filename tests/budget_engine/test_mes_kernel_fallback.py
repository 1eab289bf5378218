"""A kernel that does not load (or cannot run) means exact arithmetic and a warning, never an error."""

from __future__ import annotations

import ctypes.util
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.budget.outcomes import make_instance
from services.budget.outcomes.equal_shares import equal_shares
from services.budget.outcomes.mes_kernel import PATH_VARIABLE, MesKernel, kernel_loaded, reload_kernel

ELECTION = make_instance(
    {"a": 600, "b": 500, "c": 300, "d": 100},
    1000,
    [["a", "d"], ["a"], ["b", "c"], ["c", "d"], ["c"], ["b"]],
)


@pytest.fixture(autouse=True)
def _restore_kernel(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield
    monkeypatch.delenv(PATH_VARIABLE, raising=False)
    reload_kernel()


@pytest.fixture(scope="module")
def with_kernel() -> Any:
    assert reload_kernel() is not None
    return equal_shares(ELECTION)


def _library_without_mes_run() -> str:
    name = ctypes.util.find_library("m")
    if name is None:
        pytest.skip("no libm to stand in for a library without the kernel's symbol")
    return name


def _bad_library(kind: str, tmp_path: Path) -> str:
    if kind == "missing file":
        return str(tmp_path / "nowhere" / "_mes_kernel.so")
    if kind == "corrupt file":
        path = tmp_path / "corrupt.so"
        path.write_bytes(b"\x00not an ELF object\xff" * 64)
        return str(path)
    if kind == "other architecture":
        path = tmp_path / "elf32.so"
        # An ELF header of a 32-bit ARM object, the rest zeros: a 64-bit x86 process cannot load it.
        path.write_bytes(b"\x7fELF\x01\x01\x01" + bytes(9) + b"\x03\x00\x28\x00" + bytes(200))
        return str(path)
    return _library_without_mes_run()


@pytest.mark.parametrize("kind", ["missing file", "corrupt file", "other architecture", "missing symbol"])
def test_a_library_that_fails_to_load_falls_back_to_exact_arithmetic(
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    with_kernel: Any,
) -> None:
    monkeypatch.setenv(PATH_VARIABLE, _bad_library(kind, tmp_path))
    with caplog.at_level(logging.WARNING, logger="services.budget.outcomes.mes_kernel"):
        assert reload_kernel() is None
    assert not kernel_loaded()
    assert any("exact arithmetic only" in record.getMessage() for record in caplog.records)
    outcome = equal_shares(ELECTION)
    assert outcome.selected == with_kernel.selected
    assert outcome.params["mes_exact_runs"] == outcome.params["mes_runs"]
    assert with_kernel.params["mes_exact_runs"] < with_kernel.params["mes_runs"]


def test_the_built_library_loads_through_the_variable_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    spec = importlib.util.find_spec("services.budget.outcomes._mes_kernel")
    assert spec is not None and spec.origin is not None
    monkeypatch.setenv(PATH_VARIABLE, spec.origin)
    assert reload_kernel() is not None and kernel_loaded()


class _FailingLibrary:
    """Stands in for a loaded library that cannot map a workspace, or whose mes_run refuses it."""

    def __init__(self, workspace: int | None) -> None:
        self.workspace = workspace
        self.freed: list[int] = []

    def mes_workspace_new(self, problem: object) -> int | None:
        return self.workspace  # None: a NULL pointer

    def mes_workspace_free(self, workspace: int) -> None:
        self.freed.append(workspace)

    def mes_run(self, *args: object) -> int:
        return -1


@pytest.mark.parametrize(
    ("workspace", "message"), [(None, "could not allocate its working memory"), (1, "refused its workspace")]
)
def test_a_kernel_that_cannot_run_hands_the_run_to_exact_arithmetic(
    workspace: int | None, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    library = _FailingLibrary(workspace)
    kernel = MesKernel(
        costs=[1.0],
        scale=[1.0],
        total_util=[1.0],
        rank=[0],
        eligible=[0],
        supporters=[[0]],
        points=None,
        weights=[1],
        library=library,  # type: ignore[arg-type]
    )
    with caplog.at_level(logging.WARNING, logger="services.budget.outcomes.mes_kernel"):
        assert kernel.run(1.0, 1.0, 1.0, 0, track=True) is None
    assert message in caplog.text
    kernel.close()
    assert library.freed == ([] if workspace is None else [workspace])
