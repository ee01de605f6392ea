"""The whole accelerator in Amaranth's simulator, bit-exact with golden.model.run_fixed.

Every h of the last layer (through the output stream, with random input gaps and output
back-pressure), the final h and c of every layer, and every counter (cycles included, against
the cycle model) are compared for several sequences of different lengths.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from golden import cycles
from golden.model import run_fixed
from golden.params import quantize_params, weight_load_list
from tests.hw.rtl import rtl_top
from tests.saturating import saturating_case

LENGTHS = np.array([4, 2, 3])

# (cell, predictor of the build, predictor run, theta, mode, reuse_cap, lanes, bnn_bits)
CASES = {
    "lstm-none": ("lstm", "none", "none", 0.25, "relative", 0, 4, 8),
    "lstm-bnn-rel0.25": ("lstm", "bnn", "bnn", 0.25, "relative", 0, 4, 8),
    "lstm-bnn-rel1-cap2": ("lstm", "bnn", "bnn", 1.0, "relative", 2, 4, 8),
    "lstm-bnn-abs3": ("lstm", "bnn", "bnn", 3.0, "absolute", 0, 4, 8),
    "lstm-bnn-off": ("lstm", "bnn", "none", 0.25, "relative", 0, 4, 8),
    "lstm-bnn-n3b5": ("lstm", "bnn", "bnn", 0.5, "relative", 0, 3, 5),
    "lstm-bnn-reuse-all": ("lstm", "bnn", "bnn", 255.0, "absolute", 0, 4, 8),
    "gru-none": ("gru", "none", "none", 0.25, "relative", 0, 4, 8),
    "gru-bnn-rel0.5": ("gru", "bnn", "bnn", 0.5, "relative", 0, 4, 8),
    "gru-bnn-rel1-cap1": ("gru", "bnn", "bnn", 1.0, "relative", 1, 4, 8),
    "gru-bnn-abs2": ("gru", "bnn", "bnn", 2.0, "absolute", 0, 4, 8),
    "gru-bnn-off": ("gru", "bnn", "none", 0.25, "relative", 0, 4, 8),
    "gru-bnn-n4b3": ("gru", "bnn", "bnn", 0.5, "relative", 0, 4, 3),
}


# sizes at the edges: one input, one neuron, one lane, one BNN bit; lanes and bits wider than
# a row (one DPU and one BNN cycle per neuron: a new neuron enters the DPU every cycle)
EDGES = {
    "lstm-bnn-x1h1n1b1": ("lstm", "bnn", "bnn", 0.5, "relative", 0, 1, 1, 1, 1),
    "gru-bnn-x1h1-abs-cap2": ("gru", "bnn", "bnn", 1.0, "absolute", 2, 1, 1, 1, 1),
    "gru-bnn-n16b64": ("gru", "bnn", "bnn", 0.5, "relative", 0, 16, 64, 5, 6),
    "lstm-bnn-n16b64-cap3": ("lstm", "bnn", "bnn", 0.25, "relative", 3, 16, 64, 5, 6),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_top_matches_golden(case):
    check_top(case, *CASES[case])


@pytest.mark.parametrize("case", EDGES, ids=list(EDGES))
def test_top_edge_sizes(case):
    check_top(case, *EDGES[case])


def check_top(case, cell, build, predictor, theta, mode, cap, lanes, bits, xs=5, hidden=6):
    seed = sum(map(ord, case))
    print("seed", seed)
    params = random_params(cell, xs, hidden, layers=2, seed=seed, scale=0.8)
    base = dataclasses.replace(DEFAULT, name=f"t_{cell}", lanes=lanes, bnn_bits=bits,
                               predictor=build, theta=theta, mode=mode, reuse_cap=cap)
    cfg = config_for(params, base)
    x = np.random.default_rng(seed).uniform(-1.5, 1.5, (len(LENGTHS), LENGTHS.max(), xs))
    gold = run_fixed(cfg, params, x, LENGTHS, predictor=predictor)
    words = weight_load_list(cfg, quantize_params(cfg, params))
    h, h_state, c_state, counters = rtl_top(
        cfg, words, cfg.data_format.quantize(x), LENGTHS, theta_int=cfg.theta_int,
        mode_abs=int(mode == "absolute"), memo_enable=int(predictor == "bnn"), seed=seed)

    for b, length in enumerate(LENGTHS):
        np.testing.assert_array_equal(h[b, :length], gold.h_int[-1, b, :length])
        np.testing.assert_array_equal(h_state[b], gold.h_int[:, b, length - 1])
        if cell == "lstm":
            np.testing.assert_array_equal(c_state[b], gold.c_int[:, b, length - 1])
    want = gold.counters()
    for name, value in counters.items():
        np.testing.assert_array_equal(value, want[name], err_msg=name)
    if predictor == "bnn":
        assert gold.reused.sum() > 0, "the case exercises no reuse"
    if cap:
        assert gold.reused.sum() > 0
    if theta == 255.0:
        # after the first step every neuron is reused: H * Kb + 12 cycles, no DPU cycle
        first = [cfg.hidden_size * cfg.dpu_cycles(k) + cfg.bnn_cycles(k) + 18
                 for k in range(cfg.layers)]
        reused = [cfg.hidden_size * cfg.bnn_cycles(k) + 12 for k in range(cfg.layers)]
        np.testing.assert_array_equal(counters["cycles"],
                                      sum(first) + (LENGTHS - 1) * sum(reused))
    if predictor == "none":
        per_step = sum(cycles.baseline_step_cycles(cfg, k) for k in range(cfg.layers))
        np.testing.assert_array_equal(counters["cycles"], LENGTHS * per_step)


# configs built to saturate (tests/saturating.py): the saturation counters of every layer,
# with the other counters and every h, against the golden model
# (the delta build too: its MU pass and the shared cell unit flag as the other builds' do)
SATURATING = {"lstm-sat-bnn": ("lstm", "bnn"), "lstm-sat-none": ("lstm", "none"),
              "gru-sat-bnn": ("gru", "bnn"), "gru-sat-none": ("gru", "none"),
              "lstm-sat-delta": ("lstm", "delta"), "gru-sat-delta": ("gru", "delta")}


@pytest.mark.parametrize("case", SATURATING, ids=list(SATURATING))
def test_top_saturation_counters(case):
    cell, predictor = SATURATING[case]
    seed = sum(map(ord, case))
    print("seed", seed)
    cfg, params, x, lengths = saturating_case(cell, seed, predictor=predictor)
    gold = run_fixed(cfg, params, x, lengths)
    words = weight_load_list(cfg, quantize_params(cfg, params))
    controls = ({"theta": cfg.theta_int, "theta_h": cfg.theta_h_int}
                if predictor == "delta" else None)
    h, _, _, counters = rtl_top(cfg, words, cfg.data_format.quantize(x), lengths,
                                theta_int=cfg.theta_int, memo_enable=1, seed=seed,
                                controls=controls)
    for b, length in enumerate(lengths):
        np.testing.assert_array_equal(h[b, :length], gold.h_int[-1, b, :length])
    want = gold.counters()
    assert set(cfg.saturation_counters) <= set(counters)
    if predictor == "delta":
        assert {"changed", "macs_skipped"} <= set(counters)
        assert 0 < gold.macs_skipped.sum() < gold.macs.sum(), "the case skips nothing or all"
    for name, value in counters.items():
        np.testing.assert_array_equal(value, want[name], err_msg=name)
    for name, (quantity, _) in cfg.saturation_counters.items():
        assert (counters[name].sum() > 0) == (quantity != "h"), name
    assert (gold.reused.sum() > 0) == (predictor == "bnn")
