"""The ghost build (hw/ghost.py in hw/top.py) in Amaranth's simulator, bit-exact with
golden.model.run_fixed: every h of the last layer, the final h and c of every layer and every
counter, cycles against the cycle model (golden/cycles.py ghost_step_end); the cases include
ghost units slower than the cell (a column takes more cycles than the cell's Kd: a backlog)."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from golden import cycles
from golden.model import run_fixed
from golden.params import quantize_params, weight_load_list
from tests.hw.rtl import rtl_top

LENGTHS = np.array([3, 2])

# (cell, predictor, hidden, ghost, layers, lanes); the default case's memo build reuses, so the
# cell issues neurons faster than the ghost unit takes columns (a backlog); EPUR_GHOST_SWEEP=1
# adds the others (about 2 minutes)
CASES = {"lstm-bnn-h6g3-l2-n2": ("lstm", "bnn", 6, 3, 2, 2)}
if os.environ.get("EPUR_GHOST_SWEEP"):
    CASES.update({
        "gru-none-h6g3-l2": ("gru", "none", 6, 3, 2, 4),
        "lstm-none-h8g2-l1": ("lstm", "none", 8, 2, 1, 3),
        "lstm-none-h5g4-l2": ("lstm", "none", 5, 4, 2, 2),
        "gru-bnn-h6g3-l2": ("gru", "bnn", 6, 3, 2, 4),
        "lstm-bnn-h6g2-l1": ("lstm", "bnn", 6, 2, 1, 4),
        "gru-none-h9g6-l1-n1": ("gru", "none", 9, 6, 1, 1),
        "lstm-bnn-h8g5-l2-n2": ("lstm", "bnn", 8, 5, 2, 2),
    })


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_ghost_top_matches_golden(case):
    cell, predictor, hidden, ghost, layers, lanes = CASES[case]
    seed = sum(map(ord, case))
    xs = 5
    params = random_params(cell, xs, hidden, layers=layers, seed=seed, scale=0.8,
                           ghost_size=ghost)
    base = dataclasses.replace(DEFAULT, name=f"g_{cell}", lanes=lanes, bnn_bits=8,
                               predictor=predictor, theta=0.5)
    cfg = config_for(params, base)
    assert (cfg.ghost_size, cfg.intrinsic_size) == (ghost, hidden - ghost)
    x = np.random.default_rng(seed).uniform(-1.5, 1.5, (len(LENGTHS), LENGTHS.max(), xs))
    gold = run_fixed(cfg, params, x, LENGTHS)
    words = weight_load_list(cfg, quantize_params(cfg, params))
    h, h_state, c_state, counters = rtl_top(
        cfg, words, cfg.data_format.quantize(x), LENGTHS, theta_int=cfg.theta_int,
        mode_abs=0, memo_enable=int(predictor == "bnn"), seed=seed)
    n = cfg.intrinsic_size
    for b, length in enumerate(LENGTHS):
        np.testing.assert_array_equal(h[b, :length], gold.h_int[-1, b, :length])
        np.testing.assert_array_equal(h_state[b], gold.h_int[:, b, length - 1])
        if cell == "lstm":
            np.testing.assert_array_equal(c_state[b][:, :n], gold.c_int[:, b, length - 1])
    want = gold.counters()
    for name, value in counters.items():
        np.testing.assert_array_equal(value, want[name], err_msg=name)
    if predictor == "none":     # the closed form: I rows a gate, then the ghost pass
        per_step = sum(cycles.baseline_step_cycles(cfg, k) for k in range(layers))
        assert per_step == sum(n * cfg.dpu_cycles(k) + cycles.BASELINE_OVERHEAD
                               + cycles.ghost_cycles(cfg, k) for k in range(layers))
        np.testing.assert_array_equal(counters["cycles"], LENGTHS * per_step)
    else:
        assert gold.reused.sum() > 0, "the case exercises no reuse"
