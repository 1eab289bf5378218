"""Time our outcome engine against pabutools 1.2.3 on the Pabulib files; print a markdown table.

Usage: python bench/bench_outcomes.py [--timeout 400] [--files GLOB] [--skip-pabutools]

For every file it measures, on both sides, the greedy rule (with the META threshold when the
file has one) and MES with Add1 completion. Each MES run, ours and pabutools', happens in a
subprocess killed after ``--timeout`` seconds. For a like-for-like comparison both sides use
pabutools' Add1 semantics (stop at the first exhaustive outcome, start at budget / n, +1 per
voter) and the same tie-break order (our defaults, passed to pabutools as a custom rule);
the "same" column says whether the selected sets agree. For the files whose META rule is
MES, our Pabulib-semantics Add1 (no stop at exhaustive outcomes) is timed too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from services.budget.outcomes import build_instance, compute_outcome  # noqa: E402
from services.budget.pabulib import parse_pb_file  # noqa: E402

SHARED = Path(os.environ.get("SEOUL_SHARED_DIR", REPO_ROOT.parent / "shared"))
T = TypeVar("T")

# Runs inside the pabutools subprocess: argv = path, rule ("greedy" | "mes"), threshold.
PABUTOOLS_SCRIPT = r"""
import json, sys, time
from pabutools.election import parse_pabulib, Cost_Sat, AbstractApprovalProfile
from pabutools.election.satisfaction import Additive_Cardinal_Sat, AdditiveSatisfaction
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
from pabutools.tiebreaking import TieBreakingRule

path, rule, threshold = sys.argv[1], sys.argv[2], float(sys.argv[3])
t0 = time.perf_counter()
instance, profile = parse_pabulib(path)
t1 = time.perf_counter()
approval = isinstance(profile, AbstractApprovalProfile)
file_order = {name: i for i, name in enumerate(json.loads(sys.argv[4]))}
score = {p: (profile.approval_score(p) if approval else profile.total_score(p)) for p in instance}

class Points_Times_Cost_Sat(AdditiveSatisfaction):
    # greedy in pabutools orders by satisfaction / cost: points * cost orders by points.
    def __init__(self, instance, profile, ballot):
        AdditiveSatisfaction.__init__(
            self, instance, profile, ballot, lambda i, pr, b, p, pre: b[p] * p.cost if p in b else 0)

if rule == "greedy":
    if threshold > 0:
        kept = [p for p in instance if score[p] >= threshold]
        instance = type(instance)(kept, budget_limit=instance.budget_limit)
    tie = TieBreakingRule(lambda i, pr, p: (-score[p], p.cost, file_order[p.name]))
    sat = Cost_Sat if approval else Points_Times_Cost_Sat
    out = greedy_utilitarian_welfare(instance, profile, sat_class=sat, tie_breaking=tie)
else:
    tie = TieBreakingRule(lambda i, pr, p: (p.cost, -score[p], file_order[p.name]))
    sat = Cost_Sat if approval else Additive_Cardinal_Sat
    out = method_of_equal_shares(instance, profile, sat_class=sat, voter_budget_increment=1, tie_breaking=tie)
t2 = time.perf_counter()
print(json.dumps({"parse": t1 - t0, "rule": t2 - t1, "selected": sorted(p.name for p in out)}))
"""


# Runs our MES in a subprocess (so that it too can be stopped): argv = path, exhaustive_stop.
OUR_MES_SCRIPT = r"""
import json, sys, time
sys.path.insert(0, sys.argv[3])
from services.budget.outcomes import build_instance
from services.budget.outcomes.equal_shares import equal_shares
from services.budget.pabulib import parse_pb_file
election = build_instance(parse_pb_file(sys.argv[1]))
t0 = time.perf_counter()
out = equal_shares(election, exhaustive_stop=sys.argv[2] == "1")
t1 = time.perf_counter()
runs = f"{out.params['mes_runs']} ({out.params['mes_exact_runs']} exact)"
print(json.dumps({"rule": t1 - t0, "selected": sorted(out.selected), "runs": runs}))
"""


def run_ours(path: Path, exhaustive_stop: bool, timeout: float) -> dict[str, object]:
    command = [
        sys.executable,
        "-c",
        OUR_MES_SCRIPT,
        str(path),
        "1" if exhaustive_stop else "0",
        str(REPO_ROOT),
    ]
    return _run_json(command, timeout)


def run_pabutools(
    path: Path, rule: str, threshold: float, ids: list[str], timeout: float
) -> dict[str, object]:
    command = [sys.executable, "-c", PABUTOOLS_SCRIPT, str(path), rule, str(threshold), json.dumps(ids)]
    return _run_json(command, timeout)


def _run_json(command: list[str], timeout: float) -> dict[str, object]:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"> {timeout:g} s (killed)"}
    if done.returncode != 0:
        return {"error": "failed: " + done.stderr.strip().splitlines()[-1][:80]}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def timed(function: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """Best wall time of ``repeat`` calls, and the last result."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def compare(
    path: Path,
    rule: str,
    threshold: float,
    ids: list[str],
    ours: list[str] | None,
    our_time: float | None,
    timeout: float | None,
) -> list[str]:
    """Cells: pabutools time, speed-up, same selected set."""
    if timeout is None:
        return ["-", "-", "-"]
    theirs = run_pabutools(path, rule, threshold, ids, timeout)
    if "error" in theirs:
        return [str(theirs["error"]), "-", "-"]
    their_time = float(str(theirs["rule"]))
    if ours is None or our_time is None:
        return [fmt(their_time), "-", "-"]
    same = sorted(ours) == theirs["selected"]
    return [fmt(their_time), f"{their_time / our_time:,.0f}x", "yes" if same else "NO"]


def bench_file(path: Path, timeout: float | None, our_timeout: float) -> list[str]:
    parse_time, _ = timed(lambda: parse_pb_file(path))
    instance = parse_pb_file(path)
    threshold = float(instance.meta.get("min_project_score_threshold", 0) or 0)
    rule, params = ("greedy-threshold", {"threshold": int(threshold)}) if threshold else ("greedy", {})
    greedy_time, greedy_out = timed(lambda: compute_outcome(build_instance(instance), rule, params), 3)
    mes = run_ours(path, True, our_timeout)
    mes_time = float(str(mes["rule"])) if "rule" in mes else None
    selected = mes.get("selected")
    mes_selected = [str(p) for p in selected] if isinstance(selected, list) else None
    pabulib_cells = ["-", "-"]
    if str(instance.rule).startswith("equalshares"):
        pabulib = run_ours(path, False, our_timeout)
        if "error" in pabulib:
            pabulib_cells = [str(pabulib["error"]), "-"]
        else:
            pabulib_cells = [fmt(float(str(pabulib["rule"]))), str(pabulib["runs"])]
    ids = list(instance.projects)
    return [
        path.stem,
        f"{len(instance.projects)} / {len(instance.votes):,}",
        instance.vote_type,
        fmt(parse_time),
        fmt(greedy_time),
        *compare(path, "greedy", threshold, ids, greedy_out.selected, greedy_time, timeout),
        fmt(mes_time) if mes_time is not None else str(mes.get("error")),
        *compare(path, "mes", threshold, ids, mes_selected, mes_time, timeout),
        str(mes.get("runs", "-")),
        *pabulib_cells,
    ]


HEADER = [
    "file",
    "projects / voters",
    "ballots",
    "our parse",
    "our greedy",
    "pabutools greedy",
    "greedy speed-up",
    "same",
    "our MES+Add1",
    "pabutools MES+Add1",
    "MES speed-up",
    "same",
    "our MES runs (of them in exact arithmetic)",
    "our MES+Add1, Pabulib semantics (META MES files)",
    "runs",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=400, help="seconds per pabutools run (default 400)")
    parser.add_argument("--files", default="*.pb", help="glob under shared/data/pabulib")
    parser.add_argument("--our-timeout", type=float, default=400, help="seconds per run of our MES")
    parser.add_argument("--skip-pabutools", action="store_true")
    args = parser.parse_args()
    files = sorted((SHARED / "data" / "pabulib").glob(args.files), key=lambda p: p.stat().st_size)
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for path in files:
        cells = bench_file(path, None if args.skip_pabutools else args.timeout, args.our_timeout)
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
