"""Scheme bnn: yb from the hardware's XNOR-popcount form, the comparator's rule written out per
neuron, the memo entries it keeps, the memo hardware's timing."""

from __future__ import annotations

import numpy as np
import pytest

from golden import cycles
from golden.bnn import popcount_yb, sign_bits
from tests.golden.schemes.common import SEED, layer_step, scheme

CASES = [("lstm", "relative", 0.25, 0), ("lstm", "absolute", 3.0, 2),
         ("gru", "relative", 0.5, 1), ("gru", "absolute", 0.0, 0)]


def scalar_reuse(cfg, yb, yb_m, valid, count):
    """One neuron's decision, as docs/formats.md states it."""
    t, ft = cfg.theta_int, cfg.theta_format.frac
    limit = t * abs(yb_m) if cfg.mode == "relative" else t
    ok = valid and abs(yb - yb_m) * 2 ** ft <= limit
    return ok and not (cfg.reuse_cap and count >= cfg.reuse_cap)


@pytest.mark.parametrize("cell, mode, theta, cap", CASES)
@pytest.mark.parametrize("layer", [0, 1])
def test_decide_per_neuron(cell, mode, theta, cap, layer):
    print(f"seed {SEED}")
    cfg, layers, bnn = scheme("bnn", cell, mode=mode, theta=theta, reuse_cap=cap)
    rng = np.random.default_rng(SEED + layer)
    step = layer_step(cfg, layer)
    memo = bnn.layer_state(layer, 3)
    w = layers[layer].w
    want_yb = np.array([[[popcount_yb(sign_bits(w[g, n]), sign_bits(vec))
                          for n in range(cfg.hidden_size)] for g in range(cfg.gates)]
                        for vec in step.v])
    memo.yb_m = want_yb + rng.integers(-4, 5, want_yb.shape)
    memo.valid = rng.random(want_yb.shape) < 0.8
    memo.reuse_count = rng.integers(0, 3, want_yb.shape)
    reuse = bnn.decide(memo, step)
    np.testing.assert_array_equal(step.yb, want_yb)
    want = np.vectorize(lambda *a: scalar_reuse(cfg, *a))(
        want_yb, memo.yb_m, memo.valid, memo.reuse_count)
    np.testing.assert_array_equal(reuse, want)
    assert 0 < reuse.sum() < reuse.size              # the case decides both ways


def test_update_keeps_yb_and_outputs_come_from_the_entries():
    cfg, _, bnn = scheme("bnn", theta=255.0)
    memo = bnn.layer_state(0, 3)
    first = layer_step(cfg)
    first.reuse = bnn.decide(memo, first)
    assert not first.reuse.any()                        # no valid entry yet
    bnn.update(memo, first, np.ones(3, dtype=bool))
    np.testing.assert_array_equal(memo.yb_m, first.yb)
    np.testing.assert_array_equal(memo.y_m, first.y)
    second = layer_step(cfg, seed=SEED + 1)
    second.reuse = bnn.decide(memo, second)
    assert second.reuse.all()                           # theta 255: everything is near
    out, _ = bnn.outputs(memo, second)
    np.testing.assert_array_equal(out, first.y)


@pytest.mark.parametrize("layer", [0, 1])
def test_cycles_and_macs(layer):
    cfg, _, bnn = scheme("bnn")
    step = layer_step(cfg, layer)
    step.reuse = np.zeros_like(step.y, dtype=bool)
    step.reuse[1] = True
    step.reuse[2, 0, :3] = True
    h, kb = cfg.hidden_size, cfg.bnn_cycles(layer)
    got = bnn.cycles(step)
    assert got[1] == h * kb + cycles.REUSED_OVERHEAD
    np.testing.assert_array_equal(got, cycles.layer_step_cycles(cfg, layer, ~step.reuse))
    np.testing.assert_array_equal(bnn.macs_skipped(step),
                                  np.array([0, step.y[0].size, 3]) * cfg.row_length(layer))
