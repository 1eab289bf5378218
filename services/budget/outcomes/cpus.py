"""How many CPUs this process may use: its affinity mask and its cgroup v2 quota, not the host's count.

``os.cpu_count()`` counts the machine's CPUs; a container limited to two CPUs on a 64-core node (a
Kubernetes ``limits.cpu``) or a process pinned with ``taskset`` would start a thread per host CPU and
be throttled.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def usable_cpus(cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = Path("/proc/self/cgroup")) -> int:
    """The CPUs of the affinity mask, capped by the tightest ``cpu.max`` quota of the process's cgroup v2
    and its ancestors (a quota of 150000 per 100000 µs allows 2 CPUs' worth of threads); at least 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    quota = _cgroup_quota(cgroup_root, proc_cgroup)
    return max(1, min(cpus, quota) if quota is not None else cpus)


def _cgroup_quota(root: Path, proc_cgroup: Path) -> int | None:
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    own = next((line[3:] for line in lines if line.startswith("0::")), None)
    if own is None:
        return None  # no cgroup v2 hierarchy
    directory = root / own.strip().lstrip("/")
    quotas: list[int] = []
    while True:
        quota = _cpu_max(directory / "cpu.max")
        if quota is not None:
            quotas.append(quota)
        if directory == root or root not in directory.parents:
            break
        directory = directory.parent
    return min(quotas, default=None)


def _cpu_max(path: Path) -> int | None:
    """``cpu.max`` is ``$MAX $PERIOD``, ``max`` meaning no limit."""
    try:
        limit, _, period = path.read_text().strip().partition(" ")
    except OSError:
        return None
    if limit == "max" or not limit.isdigit() or not period.isdigit() or int(period) == 0:
        return None
    return math.ceil(int(limit) / int(period))
