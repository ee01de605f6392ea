"""golden/cycles.py: the closed form against a loop over neurons, and the cycle formulas of
docs/architecture.md (the RTL's equality with the model is tests/hw/test_top.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core import timing
from core.config import DEFAULT
from golden import cycles

CONFIGS = {
    "default": DEFAULT,
    "odd": dataclasses.replace(DEFAULT, input_size=13, hidden_size=20, lanes=6, bnn_bits=24),
    "bnn-narrow": dataclasses.replace(DEFAULT, input_size=5, hidden_size=6, lanes=4,
                                      bnn_bits=3),
    "one-lane": dataclasses.replace(DEFAULT, input_size=3, hidden_size=4, lanes=1, bnn_bits=1),
}


def loop_model(cfg, layer, computed):
    """The schedule of hw/cu.py and hw/cell.py, one neuron at a time."""
    kd, kb = cfg.dpu_cycles(layer), cfg.bnn_cycles(layer)
    out = []
    for seq in computed:
        ready = np.zeros(seq.shape, dtype=np.int64)
        for g, gate in enumerate(seq):
            dpu_free = -10**9
            for j, comp in enumerate(gate):
                if not cfg.memo:
                    start = max(dpu_free, timing.LAT_DPU_START)
                elif comp:
                    start = max(dpu_free, timing.LAT_BNN + (j + 1) * kb + timing.LAT_QUEUE)
                if comp:
                    dpu_free = start + kd
                    ready[g, j] = dpu_free + timing.LAT_MU
                else:
                    ready[g, j] = timing.LAT_BNN + (j + 1) * kb + timing.LAT_REUSE
        issue = 0
        for j in range(seq.shape[1]):
            issue = max(issue + 1, ready[:, j].max())
        out.append(issue + timing.LAT_CELL + 1)
    return np.array(out)


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("predictor", ["none", "bnn"])
def test_closed_form_matches_loop(name, predictor):
    cfg = dataclasses.replace(CONFIGS[name], predictor=predictor)
    rng = np.random.default_rng(len(name))
    computed = rng.random((20, cfg.gates, cfg.hidden_size)) < rng.random((20, 1, 1))
    if predictor == "none":
        computed[:] = True
    computed[0], computed[1] = True, False
    if predictor == "none":
        computed[1] = True
    np.testing.assert_array_equal(cycles.layer_step_cycles(cfg, 0, computed),
                                  loop_model(cfg, 0, computed))


@pytest.mark.parametrize("name", CONFIGS)
def test_formulas(name):
    cfg = CONFIGS[name]
    h, kd, kb = cfg.hidden_size, cfg.dpu_cycles(0), cfg.bnn_cycles(0)
    every = np.ones((1, cfg.gates, h), dtype=bool)
    base = dataclasses.replace(cfg, predictor="none")
    step = cycles.layer_step_cycles(base, 0, every)[0]
    assert step == h * kd + 14 == cycles.baseline_step_cycles(base, 0)
    assert cycles.BASELINE_OVERHEAD == 14
    assert step <= 1.05 * h * kd + cycles.BASELINE_OVERHEAD
    memo = dataclasses.replace(cfg, predictor="bnn")
    # every neuron reused: Kb cycles each, no DPU cycle
    assert cycles.layer_step_cycles(memo, 0, ~every)[0] == h * kb + 12
    assert cycles.REUSED_OVERHEAD == 12
    if kb <= kd:       # B >= N: the BNN keeps ahead of the DPU
        assert cycles.layer_step_cycles(memo, 0, every)[0] == h * kd + kb + 18
        assert cycles.COMPUTED_OVERHEAD == 18


def test_reusing_never_costs_cycles():
    cfg = CONFIGS["odd"]
    rng = np.random.default_rng(3)
    computed = rng.random((200, cfg.gates, cfg.hidden_size)) < 0.6
    fewer = computed & (rng.random(computed.shape) < 0.8)
    assert np.all(cycles.layer_step_cycles(cfg, 0, fewer)
                  <= cycles.layer_step_cycles(cfg, 0, computed))
