"""Resident memory of a long MES+Add1, step by step: the process's RSS every few Add1 steps.

    .venv/bin/python bench/bench_mes_memory.py                    # 1,000,000 voters (seed 12), 600 steps
    .venv/bin/python bench/bench_mes_memory.py --voters 200000 --steps 2000 --every 100
    .venv/bin/python bench/bench_mes_memory.py --first 380 --steps 100 --every 20   # steps 418, 448: exact

No database: the synthetic file (bench/synthetic_pb.py) is parsed and compiled as bench_mes_scale.py does,
then Add1's own scan runs from step ``--first``, with the threads it uses in production
(``equal_shares.WORKERS`` unless ``--workers``), for ``--steps`` steps or until it ends. Every ``--every``
steps, and after each run made in exact arithmetic, it prints VmRSS, VmHWM, the CPU seconds per step since
the previous line and glibc's heap in use and free (``mallinfo2``). The outcome is not computed: this
measures how the process's memory evolves over the steps. To compare with older code, copy this script
into an exported tree of it (``git archive``) and run it there, alternating.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gmpy2 import mpq  # noqa: E402

from bench.synthetic_pb import write_synthetic_pb  # noqa: E402
from services.budget.outcomes import build_instance  # noqa: E402
from services.budget.outcomes import equal_shares as es  # noqa: E402
from services.budget.outcomes.instance import MES_TIE_BREAK, tie_break_rank  # noqa: E402
from services.budget.outcomes.mes_election import kernel_for, prepare, total_cost  # noqa: E402
from services.budget.pabulib import parse_pb_file  # noqa: E402


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            *("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks"),
            *("uordblks", "fordblks", "keepcost"),
        )
    ]


def _mallinfo() -> _Mallinfo2 | None:
    """glibc's view of its heaps (all arenas), or None off glibc or before 2.33."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    if not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = _Mallinfo2
    info: _Mallinfo2 = libc.mallinfo2()
    return info


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _report(label: str, cpu_per_step: float | None) -> None:
    info = _mallinfo()
    heap = (
        f", heap in use {info.uordblks / 2**20:,.0f} MiB, free in heaps {info.fordblks / 2**20:,.0f} MiB,"
        f" mmapped {info.hblkhd / 2**20:,.0f} MiB"
        if info is not None
        else ""
    )
    cpu = f", {cpu_per_step * 1000:,.0f} ms CPU/step" if cpu_per_step is not None else ""
    rss = f"RSS {_status_mib('VmRSS'):,.0f} MiB, peak {_status_mib('VmHWM'):,.0f} MiB"
    print(f"{label}: {rss}{cpu}{heap}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--workers", type=int, default=es.WORKERS)
    parser.add_argument("--first", type=int, default=0, help="start the scan at this Add1 step")
    args = parser.parse_args()

    path = args.dir / f"seoul-{args.voters}-{args.seed}.pb"
    if not path.exists():
        write_synthetic_pb(path, n_voters=args.voters, seed=args.seed)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    gc.disable()
    try:
        election = build_instance(parse_pb_file(path))
    finally:
        gc.enable()
    prep = prepare(election, tie_break_rank(election, MES_TIE_BREAK), many_runs=True)
    kernel = kernel_for(prep)
    if kernel is None:
        sys.exit("the C kernel did not load")
    print(f"{election.n_voters:,} voters, {len(prep.weights):,} distinct ballots, {args.workers} workers")
    _report("prepared", None)
    start, step = prep.budget / election.n_voters, mpq(1)
    steps = es._Steps(kernel, start, step, args.workers)
    runs, k, jumped = es._Runs(), args.first, True
    cpu, made, exact = time.process_time(), 0, 0
    try:
        while made < args.steps:
            selected, k_max = es._run_step(prep, steps.run(k, jumped), start, step, k, runs)
            made += 1
            if runs.exact > exact:
                exact = runs.exact
                _report(f"step {k:5d}, made in exact arithmetic", None)
            if made % args.every == 0:
                now = time.process_time()
                _report(f"step {k:5d} ({made} runs, {runs.exact} exact)", (now - cpu) / args.every)
                cpu = now
            if total_cost(prep, selected) > prep.budget or k_max is None:
                print(f"Add1 ends at step {k}")
                break
            jumped = k_max > k
            k = k_max + 1
    finally:
        steps.close()
    _report("end", None)
    close = getattr(kernel, "close", None)  # kernels before the reused workspaces had none
    if close is not None:
        close()
        _report("kernel closed", None)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
