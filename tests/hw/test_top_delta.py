"""The delta build's whole accelerator in Amaranth's simulator, bit-exact with
golden.model.run_fixed (predictor delta): every h of the last layer (random input gaps and
output back-pressure), the final h and c of every layer, every counter (``changed`` and
``macs_skipped`` included) and ``cycles`` against golden/cycles.py ``delta_step_cycles``; a
threshold of 0 gives the baseline's results."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from golden.model import run_fixed
from golden.params import quantize_params, weight_load_list
from tests.hw.rtl import rtl_top

LENGTHS = np.array([4, 2, 3])

# (cell, theta, theta_h, lanes, input size, hidden size)
CASES = {
    "lstm-th0.1": ("lstm", 0.125, None, 4, 5, 6),
    "lstm-thx0.25-thh0.0625": ("lstm", 0.25, 0.0625, 4, 5, 6),
    "gru-th0.1": ("gru", 0.125, None, 4, 5, 6),
    "gru-n3-thx0.0625-thh0.25": ("gru", 0.0625, 0.25, 3, 5, 7),
    "lstm-n1-x1h1": ("lstm", 0.125, None, 1, 1, 1),
    "gru-n16": ("gru", 0.125, 0.25, 16, 5, 6),
    "lstm-huge": ("lstm", 255.0, 255.0, 4, 5, 6),
}


def run_both(case, cell, theta, theta_h, lanes, xs, hidden, scale=1.5):
    seed = sum(map(ord, case))
    print("seed", seed)
    params = random_params(cell, xs, hidden, layers=2, seed=seed, scale=0.8)
    base = dataclasses.replace(DEFAULT, name=f"t_{cell}", lanes=lanes, predictor="delta",
                               theta=theta, theta_h=theta_h)
    cfg = config_for(params, base)
    rng = np.random.default_rng(seed)
    # slowly moving inputs, so some elements change by less than the thresholds
    x = np.cumsum(rng.normal(0, 0.2, (len(LENGTHS), LENGTHS.max(), xs)), axis=1)
    x = np.clip(x, -scale, scale)
    gold = run_fixed(cfg, params, x, LENGTHS)
    words = weight_load_list(cfg, quantize_params(cfg, params))
    rtl = rtl_top(cfg, words, cfg.data_format.quantize(x), LENGTHS, seed=seed,
                  controls={"theta": cfg.theta_int, "theta_h": cfg.theta_h_int})
    return cfg, params, x, gold, rtl


def assert_matches(cfg, gold, rtl):
    h, h_state, c_state, counters = rtl
    for b, length in enumerate(LENGTHS):
        np.testing.assert_array_equal(h[b, :length], gold.h_int[-1, b, :length])
        np.testing.assert_array_equal(h_state[b], gold.h_int[:, b, length - 1])
        if cfg.cell == "lstm":
            np.testing.assert_array_equal(c_state[b], gold.c_int[:, b, length - 1])
    want = gold.counters()
    assert {"changed", "macs_skipped"} <= set(counters)
    for name, value in counters.items():
        np.testing.assert_array_equal(value, want[name], err_msg=name)


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_delta_top_matches_golden(case):
    cfg, _, _, gold, rtl = run_both(case, *CASES[case])
    assert_matches(cfg, gold, rtl)
    if CASES[case][1] == 255.0:
        assert gold.changed.sum() == 0         # nothing ever propagates: only the biases
    else:
        assert 0 < gold.macs_skipped.sum() < gold.macs.sum(), "the case skips nothing or all"


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_threshold_zero_gives_the_baseline(cell):
    case = f"{cell}-th0"
    cfg, params, x, gold, rtl = run_both(case, cell, 0.0, 0.0, 3, 5, 7)
    assert_matches(cfg, gold, rtl)
    base = run_fixed(dataclasses.replace(cfg, predictor="none"), params, x, LENGTHS)
    for b, length in enumerate(LENGTHS):
        np.testing.assert_array_equal(rtl[0][b, :length], base.h_int[-1, b, :length])
    np.testing.assert_array_equal(gold.h_int, base.h_int)
    if cell == "lstm":
        np.testing.assert_array_equal(gold.c_int, base.c_int)
