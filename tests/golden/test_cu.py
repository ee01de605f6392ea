"""golden/cu.py: the compute units' step against a per-neuron scalar computation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from golden import cu
from golden.dpu import dot
from golden.mu import mu, preactivation
from golden.params import quantize_params
from golden.schemes import scheme_for

SEED = 20261205


def setup(cell, layer, predictor="none", **kw):
    params = random_params(cell, 5, 6, 2, seed=SEED, scale=0.8)
    cfg = config_for(params, dataclasses.replace(DEFAULT, lanes=4, bnn_bits=8),
                     predictor=predictor, **kw)
    layers = quantize_params(cfg, params)
    rng = np.random.default_rng(SEED + layer)
    fmt = cfg.data_format
    v = fmt.quantize(rng.normal(0, 1.5, (3, cfg.row_length(layer))))
    v[0] = fmt.max_int
    v[1, ::2] = fmt.min_int
    return cfg, layers, v


def scalar_outputs(cfg, q, layer, v):
    """Each neuron alone: golden.dpu.dot on its row halves, golden.mu on its accumulators."""
    xl = cfg.layer_input_size(layer)
    y = np.zeros((v.shape[0], cfg.gates, cfg.hidden_size), dtype=np.int64)
    y2 = np.zeros((v.shape[0], cfg.hidden_size), dtype=np.int64)
    for b, vec in enumerate(v):
        for g, name in enumerate(cfg.gate_names):
            for n in range(cfg.hidden_size):
                acc_x = dot(q.w[g, n, :xl], vec[:xl])
                acc_h = dot(q.w[g, n, xl:], vec[xl:])
                if name == "n":
                    y[b, g, n] = preactivation(acc_x, q.b[g, n], cfg)
                    y2[b, n] = preactivation(acc_h, q.b_hn[n], cfg)
                else:
                    kind = "tanh" if name == "g" else "sigmoid"
                    y[b, g, n] = mu(acc_x + acc_h, q.b[g, n], kind, cfg)
    return y, (y2 if cfg.cell == "gru" else None)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("layer", [0, 1])
def test_step_computes_every_neuron_as_the_scalar_units(cell, layer):
    print(f"seed {SEED}")
    cfg, layers, v = setup(cell, layer)
    scheme = scheme_for(cfg, layers)
    weights = cu.LayerWeights.of(cfg, layer, layers[layer])
    step = cu.step(cfg, scheme, scheme.layer_state(layer, 3), weights, layer, v,
                   np.ones(3, dtype=bool))
    y, y2 = scalar_outputs(cfg, layers[layer], layer, v)
    np.testing.assert_array_equal(step.y, y)
    np.testing.assert_array_equal(step.out, y)
    if y2 is None:
        assert step.y2 is None and step.out2 is None
    else:
        np.testing.assert_array_equal(step.y2, y2)
        np.testing.assert_array_equal(step.out2, y2)
    assert not step.reuse.any()
    np.testing.assert_array_equal(step.columns, cfg.row_length(layer))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_step_with_memo_reuses_the_entries_and_refreshes_the_rest(cell):
    # oracle, theta huge: the second step reuses every entry of the active sequences
    cfg, layers, v = setup(cell, 0, predictor="oracle", mode="absolute", theta=255.0)
    scheme = scheme_for(cfg, layers)
    weights = cu.LayerWeights.of(cfg, 0, layers[0])
    memo = scheme.layer_state(0, 3)
    first = cu.step(cfg, scheme, memo, weights, 0, v, np.array([True, True, False]))
    assert not first.reuse.any()
    np.testing.assert_array_equal(memo.valid.all(axis=(1, 2)), [True, True, False])
    second = cu.step(cfg, scheme, memo, weights, 0, v[::-1], np.ones(3, dtype=bool))
    np.testing.assert_array_equal(second.reuse.all(axis=(1, 2)), [True, True, False])
    np.testing.assert_array_equal(second.out[:2], first.y[:2])
    np.testing.assert_array_equal(second.out[2], second.y[2])
    assert (second.y[0] != first.y[0]).any()      # reused values differ from the new ones
    np.testing.assert_array_equal(memo.reuse_count.max(axis=(1, 2)), [1, 1, 0])


def test_layer_weights_split_the_row():
    cfg, layers, _ = setup("lstm", 1)
    w = cu.LayerWeights.of(cfg, 1, layers[1])
    assert w.x_rows.shape == (cfg.gates * cfg.hidden_size, cfg.hidden_size)
    assert w.h_rows.shape == (cfg.gates * cfg.hidden_size, cfg.hidden_size)
    assert w.b_hn is None
