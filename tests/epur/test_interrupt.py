"""Ctrl-C and ``kill`` at random moments of generate, run, evaluate and simulate.

Each case starts the command as a user would (the ``epur`` script, in a session of its own),
waits a seeded random time spread over the command's measured duration (from the moment Python
has imported the CLI, before which Python itself is starting, to a little past the end, so some
runs finish first), then sends SIGINT to the whole process group, as a terminal's Ctrl-C does
(simulator and pool workers included), or SIGTERM to the command alone, as ``kill`` does. Then:
the exit status is the documented one (130, 143, or 0 when the command finished first; or the
signal's own death, which a shell reports as the same 130 or 143, when it came while Python was
starting or exiting), stderr ends with one line ``epur <command>: interrupted`` (or
``terminated``) and holds no traceback,
no process of the group is left, no temporary file is left and every file present is whole;
and the same command run again succeeds and leaves whole files.

By default run has 20 cases per signal and the others 5 (about four minutes in all);
``EPUR_INTERRUPT_ALL=1`` runs 20 of each (about ten minutes).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core.params import random_params
from tests.epur.hostile import check_files, check_outcome, digest, group_gone

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("epur")
EPUR = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "epur.cli"]
# one pytest-xdist worker runs the module: its module fixture is built once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("epur.test_interrupt")]
SEED = 17
ALL = os.environ.get("EPUR_INTERRUPT_ALL") == "1"
COUNTS = {"generate": 5, "run": 20, "evaluate": 5, "simulate": 5}
SIGNALS = {"SIGINT": (signal.SIGINT, 130, "interrupted"),
           "SIGTERM": (signal.SIGTERM, 143, "terminated")}


def _argv(command: str, shared: Path, work: Path) -> list[str]:
    return {
        "generate": ["generate", "--config", str(shared / "tiny.toml"), "-o", str(work / "gen"),
                     "--json"],
        "run": ["run", "--model", str(shared / "model.npz"), "--inputs",
                str(shared / "inputs.npz"), "--out", str(work / "out" / "run.npz"), "--json"],
        "evaluate": ["evaluate", "-w", "jvowels-lstm", "--limit", "4", "--thetas", "0.25,0.5",
                     "--delta-thetas", "0.1", "--out", str(work / "eval"), "--plot",
                     str(work / "figure.png")],
        "simulate": ["simulate", "--model", str(shared / "sim_model.npz"), "--inputs",
                     str(shared / "sim_inputs.npz"), "--out", str(work / "sim.npz"),
                     "--build-dir", str(shared / "simbuild"), "--json"],
    }[command]


def _start(argv, cwd) -> subprocess.Popen:
    return subprocess.Popen([*EPUR, *argv], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _timed(argv, cwd) -> float:
    t0 = time.perf_counter()
    with _start(argv, cwd) as child:
        _, err = child.communicate(timeout=600)
    assert child.returncode == 0, err
    return time.perf_counter() - t0


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """The inputs of every case, and how long each command and Python's start take."""
    d = tmp_path_factory.mktemp("interrupt")
    (d / "tiny.toml").write_text('name = "tiny"\ncell = "gru"\ninput_size = 3\nhidden_size = 4\n'
                                 'lanes = 2\nbnn_bits = 8\n')
    # a run long enough to be interrupted in its work, not only in its imports
    params = random_params("lstm", 8, 32, seed=2)
    np.savez(d / "model.npz", **params.state_dict())
    np.savez(d / "inputs.npz", x=np.random.default_rng(2).uniform(-1, 1, (64, 40, 8)))
    params = random_params("lstm", 2, 3, seed=1, scale=0.8)
    np.savez(d / "sim_model.npz", **params.state_dict())
    np.savez(d / "sim_inputs.npz", x=np.random.default_rng(1).uniform(-1, 1, (2, 5, 2)))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import epur.cli"], cwd=ROOT, check=True)
    durations = {"start": time.perf_counter() - t0}
    for command in COUNTS:
        work = d / f"measure-{command}"
        work.mkdir()
        durations[command] = _timed(_argv(command, d, work), work)
    durations["compile"] = durations["simulate"]                 # the first one compiled
    durations["simulate"] = _timed(_argv("simulate", d, d / "measure-simulate"), d)
    print(f"durations (s): { {k: round(v, 2) for k, v in durations.items()} }")
    return d, durations


CASES = [(c, s, k) for c in COUNTS for s in SIGNALS for k in range(20 if ALL else COUNTS[c])]


@pytest.mark.parametrize("command, signame, case", CASES)
def test_an_interrupt_leaves_whole_files_and_the_command_runs_again(shared, tmp_path, command,
                                                                    signame, case):
    d, durations = shared
    sig, status, word = SIGNALS[signame]
    rng = random.Random(f"{SEED} {command} {signame} {case}")
    duration = durations[command]
    if command == "simulate" and case % 2:          # every other case: the compile too
        for stamp in (d / "simbuild").glob("*/build.done"):
            stamp.unlink()
        duration = durations["compile"]
    delay = rng.uniform(durations["start"], 1.1 * duration)
    print(f"seed {SEED}: {signame} after {delay:.2f} s of {duration:.2f} s")
    argv = _argv(command, d, tmp_path)
    inputs = digest(d)
    with _start(argv, tmp_path) as child:
        try:
            child.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            if sig == signal.SIGINT:
                os.killpg(child.pid, sig)       # Ctrl-C: the terminal signals the whole group
            else:
                child.send_signal(sig)          # kill: the command alone
        _, err = child.communicate(timeout=120)
    if child.returncode == -sig:
        # killed by the signal itself, which a shell reports as the same status: in Python's
        # start before epur's code runs, or in its exit after the command returned
        assert "Traceback" not in err, err
    else:
        check_outcome(child.returncode, err, allowed=(0, status))
    if child.returncode == status:
        assert err.splitlines()[-1] == f"epur {command}: {word}", err
    assert group_gone(child.pid), "a process of the command outlived it"
    check_files(tmp_path, {})
    check_files(d, inputs, inputs=[p for p in inputs if p.parent == d])

    with _start(argv, tmp_path) as child:
        _, err = child.communicate(timeout=600)
    assert child.returncode == 0, err
    written = check_files(tmp_path, {})
    check_files(d, inputs)
    assert written, "the command ran again and wrote nothing"


@pytest.fixture(scope="module", autouse=True)
def _clean(shared):
    yield
    shutil.rmtree(shared[0] / "simbuild", ignore_errors=True)
