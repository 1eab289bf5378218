import os
from pathlib import Path

import pytest

from services.budget.outcomes.cpus import usable_cpus


def _cgroups(tmp_path: Path, own: str, limits: dict[str, str]) -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    for directory, cpu_max in limits.items():
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory / "cpu.max").write_text(cpu_max + "\n")
    (root / own.lstrip("/")).mkdir(parents=True, exist_ok=True)
    proc = tmp_path / "proc_cgroup"
    proc.write_text(f"4:memory:/x\n0::{own}\n")
    return root, proc


@pytest.fixture
def eight_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))


@pytest.mark.usefixtures("eight_cpus")
def test_the_affinity_mask_counts_not_the_host(tmp_path: Path) -> None:
    root, proc = _cgroups(tmp_path, "/", {"": "max 100000"})
    assert usable_cpus(root, proc) == 8
    assert usable_cpus(tmp_path / "absent", tmp_path / "absent") == 8


@pytest.mark.usefixtures("eight_cpus")
def test_the_tightest_quota_of_the_cgroup_and_its_ancestors(tmp_path: Path) -> None:
    root, proc = _cgroups(
        tmp_path, "/kubepods/pod1/c1", {"kubepods": "600000 100000", "kubepods/pod1/c1": "150000 100000"}
    )
    assert usable_cpus(root, proc) == 2  # 1.5 CPUs of quota: two threads can use it
    root, proc = _cgroups(tmp_path / "b", "/a/b", {"a": "50000 100000", "a/b": "max 100000"})
    assert usable_cpus(root, proc) == 1


@pytest.mark.usefixtures("eight_cpus")
def test_a_quota_above_the_mask_and_cgroup_v1_change_nothing(tmp_path: Path) -> None:
    root, proc = _cgroups(tmp_path, "/", {"": "3200000 100000"})
    assert usable_cpus(root, proc) == 8
    v1 = tmp_path / "v1"
    v1.write_text("2:cpu:/\n1:cpuset:/\n")
    assert usable_cpus(root, v1) == 8


def test_this_machine() -> None:
    assert 1 <= usable_cpus() <= (os.cpu_count() or 1)
