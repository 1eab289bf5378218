"""stop_processes: real child processes, one that exits on SIGTERM, one that ignores it, one already gone."""

import signal
import subprocess
import sys

from ops.processes import stop_processes

IGNORES_TERM = (
    "import signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(600)\n"
)


def _child(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)


def test_a_running_process_is_terminated_one_ignoring_it_killed_and_an_exited_one_left_alone() -> None:
    exits = _child("import time; print('ready', flush=True); time.sleep(600)")
    ignores = _child(IGNORES_TERM)
    done = _child("pass")
    for child in (exits, ignores):  # started, its handler set, before it is asked to stop
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    done.wait()
    stop_processes(exits, ignores, done, timeout=1)
    assert exits.returncode == -signal.SIGTERM
    assert ignores.returncode == -signal.SIGKILL
    assert done.returncode == 0
    for child in (exits, ignores, done):
        assert child.stdout is not None
        child.stdout.close()
