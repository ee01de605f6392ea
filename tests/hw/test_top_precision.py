"""The precision build's whole accelerator in Amaranth's simulator, bit-exact with
golden.model.run_fixed: every h of the last layer (random input gaps and output back-pressure),
the final h and c of every layer, and every counter (``steps_high``, ``steps_low`` and
``cycles`` against the cycle model with Kd_low for the low steps), on LSTM and GRU, one and two
layers, predictors none and bnn, precisions dynamic (a threshold that mixes high and low steps,
asserted) and low. tests/sim/test_precision_sim.py runs more (2-layer LSTM with memo, low mode
on it) in cocotb; ``EPUR_PRECISION_SWEEP=1`` adds them here too."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from golden.model import run_fixed
from golden.params import quantize_params, weight_load_list
from hw.precision import control_values
from sim.ports import control_values as scheme_control_values
from tests.hw.rtl import rtl_top

LENGTHS = np.array([6, 3, 5])

# (cell, predictor, precision, precision_theta, layers, lanes, X, H)
CASES = {
    "lstm-none-dyn-1l": ("lstm", "none", "dynamic", 0.375, 1, 4, 5, 6),
    "gru-none-dyn-2l": ("gru", "none", "dynamic", 0.375, 2, 3, 5, 7),
    "gru-bnn-dyn-1l": ("gru", "bnn", "dynamic", 0.375, 1, 4, 5, 6),
    "gru-bnn-low-2l": ("gru", "bnn", "low", 0.0625, 2, 3, 5, 7),
}
if os.environ.get("EPUR_PRECISION_SWEEP"):
    CASES.update({"lstm-bnn-dyn-2l": ("lstm", "bnn", "dynamic", 0.375, 2, 3, 5, 6),
                  "lstm-none-low-2l": ("lstm", "none", "low", 0.0625, 2, 4, 5, 6)})


def precision_case(case, cell, predictor, precision, theta, layers, lanes, xs, hidden):
    seed = sum(map(ord, case))
    print("seed", seed)
    params = random_params(cell, xs, hidden, layers=layers, seed=seed, scale=0.8)
    base = dataclasses.replace(DEFAULT, name=f"t_{cell}", lanes=lanes, bnn_bits=8,
                               predictor=predictor, theta=0.5, precision=precision,
                               precision_theta=theta)
    cfg = config_for(params, base)
    rng = np.random.default_rng(seed)
    # inputs that settle: the state moves a lot at first, then less (high, then low steps)
    steps = np.arange(LENGTHS.max())[None, :, None]
    x = rng.uniform(-1, 1, (len(LENGTHS), 1, xs)) + rng.normal(0, 0.6, (len(LENGTHS), LENGTHS.max(),
                                                                        xs)) * 0.5 ** steps
    return cfg, params, x, seed


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_precision_top_matches_golden(case):
    cfg, params, x, seed = precision_case(case, *CASES[case])
    gold = run_fixed(cfg, params, x, LENGTHS)
    words = weight_load_list(cfg, quantize_params(cfg, params))
    controls = {**scheme_control_values(cfg, cfg), **control_values(cfg)}
    h, h_state, c_state, counters = rtl_top(cfg, words, cfg.data_format.quantize(x), LENGTHS,
                                            seed=seed, controls=controls)
    for b, length in enumerate(LENGTHS):
        np.testing.assert_array_equal(h[b, :length], gold.h_int[-1, b, :length])
        np.testing.assert_array_equal(h_state[b], gold.h_int[:, b, length - 1])
        if cfg.cell == "lstm":
            np.testing.assert_array_equal(c_state[b], gold.c_int[:, b, length - 1])
    want = gold.counters()
    assert {"steps_high", "steps_low"} <= set(counters)
    for name, value in counters.items():
        np.testing.assert_array_equal(value, want[name], err_msg=name)
    np.testing.assert_array_equal(counters["steps_high"] + counters["steps_low"],
                                  LENGTHS * cfg.layers)
    if cfg.precision == "dynamic":
        assert 0 < counters["steps_low"].sum() < (LENGTHS * cfg.layers).sum(), \
            "the case must mix high and low steps"
    else:
        assert counters["steps_high"].sum() == 0
    if cfg.predictor == "bnn":
        assert gold.reused.sum() > 0, "the case exercises no reuse"
