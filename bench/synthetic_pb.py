"""A seeded synthetic Pabulib file: a Seoul-wide approval vote (1,000,000 voters, 200 projects by default).

    .venv/bin/python bench/synthetic_pb.py --voters 1000000 --projects 200 --seed 12 --out /tmp/seoul.pb

Shaped like the large Polish files in /work/shared/data/pabulib: project popularity falls off like a Zipf
law (a few projects draw most votes), ballots approve 1 to `max_length` projects (mostly 3 to 6, as in Łódź
and Warszawa), costs are whole KRW between 10 million and 2 billion (log-uniform, rounded to 100,000), and
the budget is a fifth of the total cost. The same seed writes the same bytes.
"""

import argparse
import bisect
import itertools
import random
from collections.abc import Iterator
from pathlib import Path

BALLOT_SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
SIZE_WEIGHTS = (8, 10, 14, 16, 16, 12, 9, 7, 5, 3)
"""Ballot lengths and how often each occurs; the mean is about 4.9 projects."""


def _costs(rng: random.Random, n_projects: int) -> list[int]:
    return [int(round(10 ** rng.uniform(7, 9.3), -5)) for _ in range(n_projects)]


def _ballots(rng: random.Random, n_voters: int, n_projects: int) -> Iterator[list[int]]:
    """Each voter's approved projects (indexes), drawn by Zipf popularity without repeats."""
    popularity = [1 / (rank + 1) ** 0.9 for rank in range(n_projects)]
    rng.shuffle(popularity)
    cumulative = list(itertools.accumulate(popularity))
    total = cumulative[-1]
    sizes = rng.choices(BALLOT_SIZES, weights=SIZE_WEIGHTS, k=n_voters)
    rand = rng.random
    for size in sizes:
        size = min(size, n_projects)
        chosen: set[int] = set()
        while len(chosen) < size:
            chosen.add(bisect.bisect(cumulative, rand() * total))
        yield sorted(chosen)


def synthetic_pb_lines(n_voters: int, n_projects: int, seed: int) -> Iterator[str]:
    """The lines of the .pb file (each ending in a newline)."""
    rng = random.Random(seed)
    costs = _costs(rng, n_projects)
    ids = [f"S{i:03d}" for i in range(1, n_projects + 1)]
    yield "META\nkey;value\n"
    yield "description;서울시 전역 주민참여예산 (합성)\ncountry;South Korea\nunit;Seoul\n"
    yield f"instance;synthetic-{seed}\nnum_projects;{n_projects}\nnum_votes;{n_voters}\n"
    yield f"budget;{sum(costs) // 5}\nvote_type;approval\nrule;greedy\nmax_length;{max(BALLOT_SIZES)}\n"
    yield "currency;KRW\nlanguage;ko\n"
    yield "PROJECTS\nproject_id;cost;name\n"
    for i, (project_id, cost) in enumerate(zip(ids, costs, strict=True), start=1):
        yield f"{project_id};{cost};합성 사업 {i}\n"
    yield "VOTES\nvoter_id;vote\n"
    for voter, ballot in enumerate(_ballots(rng, n_voters, n_projects), start=1):
        yield f"{voter};{','.join(ids[i] for i in ballot)}\n"


def write_synthetic_pb(path: Path, n_voters: int = 1_000_000, n_projects: int = 200, seed: int = 12) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.writelines(synthetic_pb_lines(n_voters, n_projects, seed))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    write_synthetic_pb(args.out, args.voters, args.projects, args.seed)
    print(args.out, f"{args.out.stat().st_size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
