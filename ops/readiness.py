"""One way to wait for a process we started: poll its URL until it answers, fail fast if it exits.

Used by `make run` (ops/run.py), the end-to-end tests and the benchmarks.
"""

import subprocess
import time

import httpx


def wait_until_ready(
    url: str,
    process: subprocess.Popen[bytes] | None = None,
    *,
    timeout: float = 30,
    any_answer: bool = False,
    interval: float = 0.1,
) -> bytes:
    """Poll `url` until it answers 200 (or anything at all with `any_answer`); returns the body.

    Raises RuntimeError when `process` exits first or `timeout` seconds pass, with the last answer seen.
    """
    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode} before it answered")
        try:
            response = httpx.get(url, timeout=min(2.0, max(0.5, interval * 5)))
            if any_answer or response.status_code == 200:
                return response.content
            last = f"{response.status_code} {response.text[:200]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{url} did not answer{'' if any_answer else ' 200'} within {timeout:g}s ({last})"
            )
        time.sleep(interval)
