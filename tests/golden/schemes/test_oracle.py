"""Scheme oracle: reuse when the new output is within theta of the entry, hand-derived
thresholds at their boundary, the GRU pair, and the BNN hardware's timing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from golden import cycles
from golden.schemes import scheme_for
from tests.golden.schemes.common import layer_step, scheme

# theta 0.25 is 64 in the theta register (8 fraction bits); data has 11 fraction bits
BOUNDARY = [  # (mode, y_m, y, reused)
    ("relative", 1000, 1250, True),     # 250 * 256 <= 64 * 1000
    ("relative", 1000, 1251, False),
    ("relative", -1000, -750, True),
    ("relative", 0, 0, True),           # an entry 0 is reused only by an exact 0
    ("relative", 0, 1, False),
    ("absolute", 0, 512, True),         # 0.25 in data units is 512
    ("absolute", 0, 513, False),
    ("absolute", 300, -212, True),
]


def one_neuron_step(cfg, y_m, y, y2_m=0, y2=0):
    """The oracle of ``cfg``, its memo with every entry valid and set to (y_m, y2_m), and a
    step of one sequence whose every output is (y, y2)."""
    oracle = scheme_for(cfg, ())
    memo = oracle.layer_state(0, 1)
    memo.valid[:] = True
    memo.y_m[:], memo.y2_m[:] = y_m, y2_m
    step = layer_step(cfg, batch=1)
    step.y[:] = y
    if step.y2 is not None:
        step.y2[:] = y2
    return oracle, memo, step


@pytest.mark.parametrize("mode, y_m, y, reused", BOUNDARY)
def test_threshold(mode, y_m, y, reused):
    cfg, _, _ = scheme("oracle", mode=mode, theta=0.25)
    oracle, memo, step = one_neuron_step(cfg, y_m, y)
    assert (oracle.decide(memo, step) == reused).all()


@pytest.mark.parametrize("y2_m, y2, n_reused", [(1000, 1250, True), (1000, 1300, False)])
def test_gru_n_needs_both_values_of_its_pair(y2_m, y2, n_reused):
    cfg, _, _ = scheme("oracle", "gru", mode="relative", theta=0.25)
    oracle, memo, step = one_neuron_step(cfg, 1000, 1100, y2_m, y2)
    reuse = oracle.decide(memo, step)
    assert reuse[:, :2].all()
    assert (reuse[:, 2] == n_reused).all()


def test_valid_bit_and_cap():
    cfg, _, _ = scheme("oracle", mode="absolute", theta=0.25, reuse_cap=2)
    oracle, memo, step = one_neuron_step(cfg, 5, 5)
    memo.valid[0, 0, 0] = False
    memo.reuse_count[0, 1, 0] = 2
    memo.reuse_count[0, 1, 1] = 1
    reuse = oracle.decide(memo, step)
    assert not reuse[0, 0, 0] and not reuse[0, 1, 0] and reuse[0, 1, 1]
    assert reuse.sum() == reuse.size - 2


def test_timed_as_the_bnn_memo_hardware():
    cfg, _, oracle = scheme("oracle")
    step = layer_step(cfg, layer=1)
    step.reuse = np.random.default_rng(1).random(step.y.shape) < 0.5
    memo_cfg = dataclasses.replace(cfg, predictor="bnn")
    np.testing.assert_array_equal(oracle.cycles(step),
                                  cycles.layer_step_cycles(memo_cfg, 1, ~step.reuse))
    assert oracle.layer_state(0, 1).yb_m.shape == (1, cfg.gates, cfg.hidden_size)
