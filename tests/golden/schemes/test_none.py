"""Scheme none: the baseline, every neuron computed from the whole row and timed as such."""

from __future__ import annotations

import numpy as np
import pytest

from golden import cycles
from tests.golden.schemes.common import layer_step, scheme


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("layer", [0, 1])
def test_baseline(cell, layer):
    cfg, _, none = scheme("none", cell)
    state = none.layer_state(layer, 3)
    assert state is None
    step = layer_step(cfg, layer)
    v, columns = none.layer_input(state, step.v)
    assert v is step.v
    np.testing.assert_array_equal(columns, cfg.row_length(layer))
    step.reuse = none.decide(state, step)
    assert step.reuse.shape == step.y.shape and not step.reuse.any()
    out, out2 = none.outputs(state, step)
    assert out is step.y and out2 is step.y2
    none.update(state, step, np.ones(3, dtype=bool))
    np.testing.assert_array_equal(none.macs_skipped(step), 0)
    np.testing.assert_array_equal(none.cycles(step), cycles.baseline_step_cycles(cfg, layer))
