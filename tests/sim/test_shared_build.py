"""Two ``epur simulate`` processes on one build directory at the same time.

Before the build's lock, both found no finished compile, and the second one cleared the first
one's half-written compile to start its own; both also wrote their model and inputs into the
same run directory. Now the second waits for the first one's compile and reuses it ("Skipping
compilation"), and their runs take turns: each output is the golden model's on its own inputs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from core.config import DEFAULT
from core.params import config_for, random_params
from golden.model import run_fixed
from sim.runner import STAMP, _is_finished

ROOT = Path(__file__).resolve().parents[2]


def test_two_simulations_share_one_build_directory(tmp_path):
    params = random_params("gru", 2, 3, seed=4, scale=0.8)
    np.savez(tmp_path / "model.npz", **params.state_dict())
    runs = []
    for k in range(2):
        x = np.random.default_rng(k).uniform(-1, 1, (2, 3 + k, 2))
        np.savez(tmp_path / f"inputs{k}.npz", x=x)
        runs.append((x, subprocess.Popen(
            [sys.executable, "-m", "epur.cli", "simulate", "--model", str(tmp_path / "model.npz"),
             "--inputs", str(tmp_path / f"inputs{k}.npz"), "--out", str(tmp_path / f"out{k}.npz"),
             "--build-dir", str(tmp_path / "b")],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    errs = []
    for _, child in runs:
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err
        assert "identical to the golden model" in out, out
        errs.append(err)
    # one compile: the process that waited found it finished and reused it
    assert sum("Skipping compilation" in err for err in errs) == 1, errs
    (build,) = (tmp_path / "b").iterdir()
    assert _is_finished(build, build / STAMP)
    cfg = config_for(params, DEFAULT)
    for k, (x, _) in enumerate(runs):
        with np.load(tmp_path / f"out{k}.npz") as f:
            np.testing.assert_array_equal(f["h"], run_fixed(cfg, params, x).h)
