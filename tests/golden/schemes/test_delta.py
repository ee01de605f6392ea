"""Scheme delta: which input elements propagate (hand-derived at the threshold), the columns
the DPU reads, its shorter DPU passes and the MACs skipped."""

from __future__ import annotations

import numpy as np
import pytest

from golden import cycles
from tests.golden.schemes.common import layer_step, scheme


def test_propagation_at_the_threshold():
    # theta 0.5 is 1024 in the data format (11 fraction bits): a change propagates if > 1024
    cfg, _, delta = scheme("delta", theta=0.5)
    state = delta.layer_state(0, 1)
    row = cfg.row_length(0)
    assert state.v.shape == (1, row) and not state.v.any()
    v = np.zeros((1, row), dtype=np.int64)
    v[0, :4] = [1025, 1024, -2000, -1024]
    seen, columns = delta.layer_input(state, v)
    np.testing.assert_array_equal(seen[0, :4], [1025, 0, -2000, 0])
    np.testing.assert_array_equal(columns, [2])
    v[0, :4] = [2049, 1025, -2000, -1025]       # changes 1024, 1025, 0, 1025 from what was seen
    seen, columns = delta.layer_input(state, v)
    np.testing.assert_array_equal(seen[0, :4], [1025, 1025, -2000, -1025])
    np.testing.assert_array_equal(columns, [2])
    assert not seen[0, 4:].any()
    np.testing.assert_array_equal(state.v, seen)


def test_theta_zero_propagates_every_change():
    cfg, _, delta = scheme("delta", theta=0.0)
    state = delta.layer_state(1, 2)
    v = layer_step(cfg, layer=1, batch=2).v
    seen, columns = delta.layer_input(state, v)
    np.testing.assert_array_equal(seen, v)
    np.testing.assert_array_equal(columns, (v != 0).sum(axis=1))


@pytest.mark.parametrize("layer", [0, 1])
def test_cycles_and_macs(layer):
    cfg, _, delta = scheme("delta")
    row, h, n = cfg.row_length(layer), cfg.hidden_size, cfg.lanes
    columns = np.array([row, 0, 5, 4])
    step = layer_step(cfg, layer, batch=4, columns=columns)
    step.reuse = delta.decide(delta.layer_state(layer, 4), step)
    assert not step.reuse.any()
    # each neuron's DPU pass reads ceil(columns / N) chunks instead of Kd (N = 4)
    assert n == 4
    want = h * np.array([cfg.dpu_cycles(layer), 0, 2, 1]) + cycles.BASELINE_OVERHEAD
    assert want[0] == cycles.baseline_step_cycles(cfg, layer)
    np.testing.assert_array_equal(delta.cycles(step), want)
    np.testing.assert_array_equal(delta.macs_skipped(step),
                                  cfg.gates * h * (row - columns))
