"""MES+Add1 alone, in-process, on the Seoul-wide synthetic vote and on the Pabulib files.

    .venv/bin/python bench/bench_mes_scale.py                       # the 1,000,000-voter file (seed 12)
    .venv/bin/python bench/bench_mes_scale.py --pabulib             # the files in ../shared/data/pabulib
    .venv/bin/python bench/bench_mes_scale.py --pabulib --record /tmp/mes.json   # then --check /tmp/mes.json

No database: the file is parsed with the service's parser and compiled with ``build_instance`` (as
bench_outcomes.py does), then ``equal_shares`` runs with both Add1 semantics (Pabulib's, and pabutools'
stop at the first exhaustive outcome). Prints the engine's time, the MES runs it made, the selected
projects' digest and the process's peak RSS; ``--record``/``--check`` store or compare the selections so
that a change to the engine can be shown to pick exactly the same projects.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.synthetic_pb import write_synthetic_pb  # noqa: E402
from services.budget.outcomes import build_instance  # noqa: E402
from services.budget.outcomes.equal_shares import equal_shares  # noqa: E402
from services.budget.outcomes.instance import Instance  # noqa: E402
from services.budget.pabulib import parse_pb_file  # noqa: E402

SHARED = Path(os.environ.get("SEOUL_SHARED_DIR", ROOT.parent / "shared"))


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load(path: Path) -> tuple[Instance, float, float]:
    """The election, and the CPU seconds of parsing the file and of compiling it."""
    started = time.process_time()
    gc.disable()  # a million parsed votes: the cyclic GC would rescan them all the time
    try:
        parsed = parse_pb_file(path)
        parse_seconds = time.process_time() - started
        election = build_instance(parsed)
    finally:
        gc.enable()
    return election, parse_seconds, time.process_time() - started - parse_seconds


def _time_mes(election: Instance, exhaustive_stop: bool) -> dict[str, object]:
    started, cpu = time.perf_counter(), time.process_time()
    outcome = equal_shares(election, exhaustive_stop=exhaustive_stop)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 4),
        "cpu": round(time.process_time() - cpu, 4),
        "runs": outcome.params["mes_runs"],
        "exact_runs": outcome.params["mes_exact_runs"],
        "selected": outcome.selected,
        "digest": hashlib.sha256(",".join(outcome.selected).encode()).hexdigest()[:12],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pabulib", action="store_true", help="the Pabulib files, not the synthetic one")
    parser.add_argument("--file", type=Path, action="append", help="a .pb file (repeatable)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--voters", type=int, default=1_000_000)
    parser.add_argument(
        "--dir", type=Path, default=Path(tempfile.gettempdir()), help="for the synthetic file"
    )
    parser.add_argument("--semantics", choices=("pabulib", "exhaustive", "both"), default="both")
    parser.add_argument("--record", type=Path, help="write the selections to this JSON file")
    parser.add_argument("--check", type=Path, help="compare the selections with this JSON file")
    args = parser.parse_args()

    if args.file:
        files = list(args.file)
    elif args.pabulib:
        files = sorted((SHARED / "data" / "pabulib").glob("*.pb"))
    else:
        path = args.dir / f"seoul-{args.voters}-{args.seed}.pb"
        if not path.exists():
            write_synthetic_pb(path, n_voters=args.voters, seed=args.seed)
        files = [path]
    semantics = {"pabulib": [False], "exhaustive": [True], "both": [False, True]}[args.semantics]
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    results: dict[str, dict[str, object]] = {}
    for path in files:
        election, parse_cpu, compile_cpu = _load(path)
        size = f"{election.n_voters:,} voters, {len(election.ballots):,} distinct ballots"
        print(
            f"{path.name}: {size}, {len(election.project_ids)} projects; CPU: parse {parse_cpu:.3f} s,"
            f" compile {compile_cpu:.3f} s"
        )
        for exhaustive_stop in semantics:
            result = _time_mes(election, exhaustive_stop)
            name = "exhaustive stop" if exhaustive_stop else "Pabulib Add1"
            results[f"{path.name} {name}"] = result
            runs = f"{result['runs']} runs ({result['exact_runs']} exact)"
            chosen = f"{len(result['selected'])} selected [{result['digest']}]"  # type: ignore[arg-type]
            peak = f"peak RSS {_peak_rss_mib():,.0f} MiB"
            timing = f"{result['seconds']:.3f} s ({result['cpu']:.3f} s CPU)"
            print(f"  MES+Add1 ({name}): {timing}, {runs}, {chosen}, {peak}", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    if args.record:
        args.record.write_text(json.dumps({k: v["selected"] for k, v in results.items()}, indent=1))
    if args.check:
        recorded = json.loads(args.check.read_text())
        differ = [k for k, v in results.items() if k in recorded and recorded[k] != v["selected"]]
        print("selections identical to", args.check) if not differ else print("DIFFERENT:", differ)
        if differ:
            sys.exit(1)


if __name__ == "__main__":
    main()
