"""One way to stop processes we started: terminate them together, wait, kill any still there after a timeout.

Used by `make run` (ops/run.py), the end-to-end and browser tests and the benchmarks.
"""

import subprocess
import time
from typing import Any


def stop_processes(*processes: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """SIGTERM every process still running, all at once, then wait for them until `timeout` seconds from now;
    SIGKILL and reap any not gone by then. A process that had already exited is only reaped."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
