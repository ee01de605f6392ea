"""A Ctrl-C while the local Dask cluster starts is the command's interrupt, at once.

The cluster's worker processes start with SIGINT blocked (workloads/engine.py), so the
terminal's Ctrl-C, sent to the whole process group, leaves them quiet; the command itself keeps
its handler (it ignored SIGINT while they started, and lost a Ctrl-C there). The command is
started as a user would (the ``epur`` script, in a session of its own); SIGINT goes to its whole
group as soon as its first worker process exists, i.e. while the cluster starts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.epur.hostile import check_outcome, group_gone

SCRIPT = Path(sys.executable).with_name("epur")
EPUR = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "epur.cli"]
PROMPT = 15.0           # seconds from the Ctrl-C to the exit, on a loaded 2-core machine


def _spawned_worker(pid: int) -> bool:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return False
    for child in children:
        try:
            if "multiprocessing.spawn" in " ".join(child.cmdline()):
                return True
        except psutil.Error:
            continue
    return False


@pytest.mark.slow
def test_ctrl_c_while_the_local_cluster_starts_is_one_line_and_130(tmp_path):
    argv = ["evaluate", "-w", "jvowels-gru", "--limit", "2", "--predictors", "bnn", "--thetas",
            "0.25", "--precision", "static", "-j", "2", "-q"]
    with subprocess.Popen([*EPUR, *argv], cwd=tmp_path, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as child:
        end = time.monotonic() + 120
        while not _spawned_worker(child.pid):
            assert child.poll() is None, child.communicate()[1]
            assert time.monotonic() < end, "no worker process started in 120 s"
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGINT)         # Ctrl-C: the terminal signals the group
        sent = time.monotonic()
        _, err = child.communicate(timeout=120)
        took = time.monotonic() - sent
    print(f"exit {child.returncode} {took:.1f} s after the Ctrl-C")
    check_outcome(child.returncode, err, allowed=(130,))
    assert err.splitlines()[-1] == "epur evaluate: interrupted", err
    assert took < PROMPT, f"{took:.1f} s from the Ctrl-C to the exit"
    assert group_gone(child.pid, 10.0), "a worker process outlived the command"


def _failing_start(cause):
    def start(*args, **kwargs):
        try:
            raise cause
        except BaseException as e:
            raise RuntimeError("Nanny failed to start.") from e
    return start


def test_an_interrupt_that_dask_wrapped_while_the_cluster_starts_stays_an_interrupt(
        monkeypatch):
    """Dask turns a failure while its workers start into "RuntimeError: Nanny failed to start":
    a Ctrl-C behind it is still the command's interrupt, another failure a failing tool."""
    import distributed

    from core.errors import ToolError
    from workloads.engine import Engine

    monkeypatch.setattr(distributed, "LocalCluster", _failing_start(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt), Engine(2):
        pass
    monkeypatch.setattr(distributed, "LocalCluster", _failing_start(OSError("no ports")))
    with pytest.raises(ToolError, match="the local Dask cluster did not start: Nanny failed"), \
            Engine(2):
        pass
