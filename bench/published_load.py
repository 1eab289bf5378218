"""Ballots and registry reads while a published result is read heavily (issue #12's "measure both at once"):
part of `bench_ceiling.py` (`--rows all` or `--rows mixed`).

Łódź 2022 (90,494 ballots) is imported published through the budget service. Its audience is a steady crowd
of citizens: `--audience` connections reading the published outcome anonymously through the gateway, each
pausing `--audience-pause` ms between reads (wrk's `delay()`), i.e. a few hundred reads a second, not a
flood. Each load under test — ballots through the gateway (`bench_ceiling`'s script: each request its own
voter, a fresh election a run) and `GET /councils/districts/11110` straight to councils — runs at full
speed alone, then with the audience reading at the same time: its share (rate with the audience over rate
alone) is what the audience's reads take from it on two shared cores, and its p99 whether it stays fast.
"""

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import WrkResult, parse_wrk

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SEOUL_SHARED_DIR", ROOT.parent / "shared"))
LODZ = SHARED / "data" / "pabulib" / "Poland_Lodz_2022.pb"


@dataclass
class Load:
    """A wrk load: `url` gives the URL of each run (a ballot row casts into a fresh election each time)."""

    label: str
    url: Callable[[], str]
    connections: int
    script: Path | None = None


@dataclass
class Measured:
    load: Load
    alone: WrkResult
    together: WrkResult
    audience: WrkResult


def start_wrk(
    url: str, connections: int, duration: float, threads: int, script: Path | None = None
) -> "subprocess.Popen[str]":
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "5s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    return subprocess.Popen(
        [*command, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ
    )


def wrk_result(process: "subprocess.Popen[str]", duration: float) -> WrkResult:
    stdout, stderr = process.communicate(timeout=duration + 60)
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {stderr.strip()}")
    return parse_wrk(stdout)


def run(load: Load, duration: float, threads: int) -> WrkResult:
    return wrk_result(start_wrk(load.url(), load.connections, duration, threads, load.script), duration)


def import_published(budget: str, city_token: str) -> tuple[int, int]:
    """Łódź imported with published=true; its election id and ballots. The first read stores the outcome's
    body in the service (as the first citizen's would)."""
    headers = {"Authorization": f"Bearer {city_token}"}
    with httpx.Client(base_url=budget, headers=headers, timeout=600) as client:
        response = client.post(
            "/budget/elections/import",
            files={"file": (LODZ.name, LODZ.read_bytes(), "text/plain")},
            data={"published": "true"},
        )
        response.raise_for_status()
        body = response.json()
        election_id = int(body["id"])
    httpx.get(f"{budget}/budget/elections/{election_id}/outcome", timeout=600).raise_for_status()
    return election_id, int(body["n_ballots"])


def audience(gateway: str, election_id: int, connections: int, pause_ms: int, work: Path) -> Load:
    script = work / "audience.lua"
    script.write_text(f"function delay() return {int(pause_ms)} end\n")
    url = f"{gateway}/budget/elections/{election_id}/outcome"
    label = (
        f"`GET /budget/elections/{{id}}/outcome` (published, anonymous) through the gateway:"
        f" {connections} connections, {pause_ms} ms between reads"
    )
    return Load(label, lambda: url, connections, script)


def measure(
    loads: list[Load], crowd: Load, duration: float, warmup: float, threads: int
) -> tuple[WrkResult, list[Measured]]:
    """The audience alone; then each load alone and with the audience reading at the same time."""
    if warmup > 0:
        run(crowd, warmup, threads)
    crowd_alone = run(crowd, duration, threads)
    print(f"  audience alone       {summary(crowd, crowd_alone)}", flush=True)
    measured = []
    for load in loads:
        if warmup > 0:
            run(load, warmup, threads)
        alone = run(load, duration, threads)
        print(f"  alone                {summary(load, alone)}", flush=True)
        reading = start_wrk(crowd.url(), crowd.connections, duration, threads, crowd.script)
        together = run(load, duration, threads)
        heard = wrk_result(reading, duration)
        print(
            f"  with the audience    {summary(load, together)}; audience {heard.requests_per_second:,.0f}/s"
            f" p99 {heard.p99_ms:.1f} ms",
            flush=True,
        )
        measured.append(Measured(load, alone, together, heard))
    return crowd_alone, measured


def summary(load: Load, result: WrkResult) -> str:
    return (
        f"{load.label[:60]:<60} {result.requests_per_second:>8,.0f}/s p99 {result.p99_ms:7.1f} ms"
        f" errors {result.errors}"
    )


def markdown(crowd: Load, crowd_alone: WrkResult, measured: list[Measured], ballots: int) -> str:
    lines = [
        "",
        f"**While the result is read** (Łódź 2022 published, {ballots:,} ballots). The audience:"
        f" {crowd.label}; alone {crowd_alone.requests_per_second:,.0f} reads/s, p99"
        f" {crowd_alone.p99_ms:.1f} ms. Each load at full speed alone, then with the audience reading at the"
        " same time (share = rate with / rate alone):",
        "",
        "| load | alone req/s | alone p99 ms | with the audience req/s | p99 ms | share | audience reads/s "
        "| audience p99 ms | errors |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for m in measured:
        share = (
            m.together.requests_per_second / m.alone.requests_per_second if m.alone.requests_per_second else 0
        )
        errors = m.alone.errors + m.together.errors + m.audience.errors
        lines.append(
            f"| {m.load.label} | {m.alone.requests_per_second:,.0f} | {m.alone.p99_ms:.1f} "
            f"| {m.together.requests_per_second:,.0f} | {m.together.p99_ms:.1f} | {share:.2f} "
            f"| {m.audience.requests_per_second:,.0f} | {m.audience.p99_ms:.1f} | {errors} |"
        )
    return "\n".join(lines) + "\n"
