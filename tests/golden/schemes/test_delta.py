"""Scheme delta: which input elements propagate (hand-derived at the threshold), the columns
the DPU reads, its shorter DPU passes and the MACs skipped."""

from __future__ import annotations

import numpy as np
import pytest

from core import timing
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


def test_separate_thresholds_for_x_and_h():
    # theta 0.5 for x (1024 in the data format), theta_h 0.125 for h (256)
    cfg, _, delta = scheme("delta", theta=0.5, theta_h=0.125)
    xl = cfg.layer_input_size(0)
    state = delta.layer_state(0, 1)
    v = np.zeros((1, cfg.row_length(0)), dtype=np.int64)
    v[0, [0, 1, xl, xl + 1]] = [1000, 1025, 256, 257]
    seen, columns = delta.layer_input(state, v)
    np.testing.assert_array_equal(seen[0, [0, 1, xl, xl + 1]], [0, 1025, 0, 257])
    np.testing.assert_array_equal(columns, [2])


def loop_model(cfg, layer, changed):
    """The delta build's schedule (hw/schemes/delta.py), one element and one neuron at a time."""
    words, row = cfg.delta_words, cfg.row_length(layer)
    out = []
    for seq in changed:
        pop, busy_until = None, -10**9
        for k in range(row):
            if seq[k]:
                examined = timing.LAT_ENCODE + k
                pop = max(examined + timing.LAT_COLUMN, busy_until)
                busy_until = pop + words
        mu = timing.LAT_ENCODE + row
        if pop is not None:
            mu = max(mu, pop + words + timing.LAT_ACCUMULATE)
        mu += timing.LAT_PASS_START
        issue = 0
        for j in range(cfg.hidden_size):
            issue = max(issue + 1, mu + j + timing.LAT_MU_PASS)
        out.append(issue + timing.LAT_CELL + 1)
    return np.array(out)


@pytest.mark.parametrize("lanes", [1, 4, 16])
@pytest.mark.parametrize("layer", [0, 1])
def test_cycles_closed_form_matches_loop(layer, lanes):
    cfg, _, delta = scheme("delta", lanes=lanes)
    rng = np.random.default_rng(layer * 100 + lanes)
    row = cfg.row_length(layer)
    changed = rng.random((30, row)) < rng.random((30, 1))
    changed[0], changed[1] = True, False
    got = cycles.delta_step_cycles(cfg, layer, changed)
    np.testing.assert_array_equal(got, loop_model(cfg, layer, changed))
    words, hidden = cfg.delta_words, cfg.hidden_size
    assert got[0] == row * words + hidden + cycles.DELTA_OVERHEAD
    assert got[1] == row + hidden + cycles.DELTA_IDLE_OVERHEAD


@pytest.mark.parametrize("layer", [0, 1])
def test_step_counts_macs_and_cycles(layer):
    cfg, _, delta = scheme("delta", theta=0.25)
    state = delta.layer_state(layer, 3)
    step = layer_step(cfg, layer, batch=3)
    step.v, step.columns = delta.layer_input(state, step.v)
    step.reuse = delta.decide(state, step)
    assert not step.reuse.any()
    np.testing.assert_array_equal(step.columns, step.changed.sum(axis=1))
    np.testing.assert_array_equal(delta.cycles(step),
                                  cycles.delta_step_cycles(cfg, layer, step.changed))
    np.testing.assert_array_equal(delta.macs_skipped(step),
                                  cfg.gates * cfg.hidden_size * (cfg.row_length(layer)
                                                                 - step.columns))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_telescoped_sum_is_the_product_with_the_propagated_inputs(cell):
    """The pre-activation memory's sum of W[:, k] * delta_k over the steps, in the encoder's
    order, equals W . v_hat at every step, and never leaves cfg.acc_width, at the extremes of
    the formats (weights and inputs jumping between the most negative and positive values)."""
    cfg, layers, delta = scheme("delta", cell=cell, theta=0.0)
    wf, df = cfg.weight_format, cfg.data_format
    rng = np.random.default_rng(7)
    for layer in range(cfg.layers):
        row = cfg.row_length(layer)
        w = rng.choice([wf.min_int, wf.max_int], (cfg.gates * cfg.hidden_size, row))
        state = delta.layer_state(layer, 2)
        memory = np.zeros((2, w.shape[0]), dtype=object)
        bound = 1 << (cfg.acc_width - 1)
        for _ in range(6):
            v = rng.choice([df.min_int, df.max_int, 0], (2, row))
            before = state.v.copy()
            v_hat, _ = delta.layer_input(state, v)
            for b in range(2):
                for k in np.flatnonzero(state.changed[b]):
                    memory[b] += w[:, k].astype(object) * int(v_hat[b, k] - before[b, k])
                    assert all(-bound <= m < bound for m in memory[b])
            np.testing.assert_array_equal(memory.astype(np.int64), v_hat @ w.T)
