"""cocotb on Icarus: generated ghost builds (GhostRNN, issue 15) against golden.model.run_fixed.

Two builds: a 2-layer GRU at ghost ratio 0.5 without memo and a 1-layer LSTM at ratio 0.25 with
the memo (BNN) build, reusing; random idle cycles on the input and back-pressure on the output.
Every h word, every counter of every sequence (``cycles`` equal to the cycle model's,
golden/cycles.py ``ghost_step_end``) equal to the golden model's. Seeds derive from the case
name.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from golden import cycles
from sim.runner import simulate
from tests.sim.test_runner import LENGTHS, check_against_golden

pytestmark = pytest.mark.xdist_group("sim.test_ghost_sim")

# name: (cell, predictor, ratio, layers, lanes, X, H)
CASES = {
    "ghost-gru-2l-none-r0.5": ("gru", "none", 0.5, 2, 4, 5, 8),
    "ghost-lstm-1l-bnn-r0.25": ("lstm", "bnn", 0.25, 1, 3, 4, 8),
}


@pytest.fixture(scope="module")
def build_root(tmp_path_factory):
    return tmp_path_factory.mktemp("sim_ghost")


@pytest.mark.parametrize("name", CASES)
def test_ghost_build_matches_golden(name, build_root):
    cell, predictor, ratio, layers, lanes, xs, hidden = CASES[name]
    seed = sum(map(ord, name))
    print("seed", seed)
    ghost = round(ratio * hidden)
    params = random_params(cell, xs, hidden, layers, seed=seed, scale=0.8, ghost_size=ghost)
    base = dataclasses.replace(DEFAULT, name=f"ghost_{cell}", lanes=lanes, bnn_bits=8,
                               predictor=predictor, theta=0.5)
    cfg = config_for(params, base)
    assert cfg.ghost_ratio == ratio
    x = np.random.default_rng(seed).uniform(-1.5, 1.5, (len(LENGTHS), LENGTHS.max(), xs))
    res = simulate(cfg, params, x, LENGTHS, seed=seed, root=build_root, run_name=name,
                   simulator="icarus")
    check_against_golden(res)
    n = cfg.intrinsic_size
    assert res.golden.computed.sum() + res.golden.reused.sum() \
        == LENGTHS.sum() * layers * cfg.gates * n
    if predictor == "none":
        per_step = sum(cycles.baseline_step_cycles(cfg, k) for k in range(layers))
        assert per_step == sum(n * cfg.dpu_cycles(k) + cycles.BASELINE_OVERHEAD
                               + cycles.ghost_cycles(cfg, k) for k in range(layers))
        np.testing.assert_array_equal(res.counters["cycles"], LENGTHS * per_step)
    else:
        assert res.golden.reused.sum() > 0, "the case exercises no reuse"
