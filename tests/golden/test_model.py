"""The fixed-point golden model: against an independent scalar reference, against the float
model, and the semantics of each predictor asserted through its counters."""

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from golden.float_model import run_float
from golden.model import run_fixed
from tests.golden.reference_model import reference_run

SEED = 20261123


def small(cell, layers=2, x=5, h=6, **kw):
    params = random_params(cell, x, h, layers, seed=SEED, scale=0.6)
    cfg = config_for(params, dataclasses.replace(DEFAULT, lanes=4, bnn_bits=8), **kw)
    rng = np.random.default_rng(SEED)
    return cfg, params, rng.normal(0, 1.0, (3, 7, x))


CASES = [
    ("lstm", "none", "relative", 0.0, 0),
    ("lstm", "bnn", "relative", 0.3, 0),
    ("lstm", "bnn", "absolute", 3.0, 2),
    ("lstm", "oracle", "relative", 0.2, 0),
    ("lstm", "oracle", "absolute", 0.05, 3),
    ("lstm", "delta", "relative", 0.1, 0),
    ("lstm", "mbnn", "relative", 0.3, 0),
    ("lstm", "mbnn", "absolute", 4.0, 2),
    ("gru", "none", "relative", 0.0, 0),
    ("gru", "bnn", "relative", 0.5, 1),
    ("gru", "bnn", "absolute", 2.0, 0),
    ("gru", "oracle", "relative", 0.3, 0),
    ("gru", "delta", "relative", 0.2, 0),
    ("gru", "mbnn", "relative", 0.4, 0),
]


@pytest.mark.parametrize("cell, predictor, mode, theta, cap", CASES)
def test_matches_scalar_reference(cell, predictor, mode, theta, cap):
    cfg, params, x = small(cell, predictor=predictor, mode=mode, theta=theta, reuse_cap=cap)
    result = run_fixed(cfg, params, x)
    ref_h, ref_counts = reference_run(cfg, params, x)
    if predictor in ("bnn", "mbnn", "oracle"):
        assert 0 < result.reuse < 1      # the case exercises both outcomes of the reuse test
    np.testing.assert_array_equal(result.h_int[-1], np.array(ref_h))
    for b, (computed, reused, skipped, sat) in enumerate(ref_counts):
        assert list(result.computed[b]) == computed
        assert list(result.reused[b]) == reused
        assert result.macs_skipped[b] == skipped
        assert {k: v[b] for k, v in result.saturations().items()} == sat


# Documented bound (docs/formats.md): with the default formats and table, fixed point with
# predictor none stays within 0.03 of the float model on random models at PyTorch's init scale.
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fixed_none_tracks_float(cell, seed):
    params = random_params(cell, 12, 32, 2, seed=seed)
    cfg = config_for(params, predictor="none")
    x = np.random.default_rng(seed).normal(0, 1, (8, 40, 12))
    err = np.abs(run_fixed(cfg, params, x).h - run_float(params, x))
    assert err.max() < 0.03, f"max |fixed - float| = {err.max():.4f}"


def per_sequence_evaluations(cfg, steps):
    return cfg.layers * cfg.gates * cfg.hidden_size * steps


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_bnn_theta_zero_reuses_exactly_when_yb_repeats(cell):
    # theta 0: reuse iff yb_t == yb_m. The reference re-derives yb independently; the counters
    # must agree, and some but not all evaluations must repeat for the test to mean something.
    cfg, params, x = small(cell, predictor="bnn", theta=0.0)
    result = run_fixed(cfg, params, x)
    _, ref_counts = reference_run(cfg, params, x)
    assert [list(r) for r in result.reused] == [c[1] for c in ref_counts]
    assert 0 < result.reused.sum() < result.computed.sum()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("mode, theta", [("relative", 255.0), ("absolute", 255.0)])
def test_bnn_huge_theta_reuses_everything_after_first_step(cell, mode, theta):
    # one layer with X + H = 11: yb is odd, never 0, so the yb_m = 0 rule cannot intervene
    cfg, params, x = small(cell, layers=1, predictor="bnn", mode=mode, theta=theta)
    result = run_fixed(cfg, params, x)
    steps = x.shape[1]
    assert (result.computed.sum(axis=1) == per_sequence_evaluations(cfg, 1)).all()
    assert (result.reused.sum(axis=1) == per_sequence_evaluations(cfg, steps - 1)).all()


@pytest.mark.parametrize("predictor, mode", [("bnn", "absolute"), ("oracle", "absolute")])
@pytest.mark.parametrize("cap", [1, 2, 5])
def test_reuse_cap_is_honoured(predictor, mode, cap):
    cfg, params, x = small("lstm", predictor=predictor, mode=mode, theta=255.0, reuse_cap=cap)
    result = run_fixed(cfg, params, x)
    steps = x.shape[1]
    computed_per_neuron = -(-steps // (cap + 1))          # compute, cap reuses, compute, ...
    per_neuron = cfg.layers * cfg.gates * cfg.hidden_size
    assert (result.computed.sum(axis=1) == computed_per_neuron * per_neuron).all()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_oracle_theta_zero_reuses_only_identical_outputs_and_changes_nothing(cell):
    cfg, params, x = small(cell, predictor="oracle", theta=0.0)
    base = run_fixed(cfg, params, x, predictor="none")
    result = run_fixed(cfg, params, x)
    np.testing.assert_array_equal(result.h_int, base.h_int)   # reusing an equal value is exact
    _, ref_counts = reference_run(cfg, params, x)
    assert [list(r) for r in result.reused] == [c[1] for c in ref_counts]


def test_delta_theta_zero_is_exact_and_huge_theta_propagates_nothing():
    cfg, params, x = small("lstm", predictor="delta", theta=0.0)
    base = run_fixed(cfg, params, x, predictor="none")
    exact = run_fixed(cfg, params, x)
    np.testing.assert_array_equal(exact.h_int, base.h_int)
    huge = run_fixed(cfg, params, x, theta=255.0)
    assert (huge.macs_skipped == huge.macs).all()
    # nothing propagated: every layer sees v = 0, as a model with all weights zeroed would
    bias_only = dataclasses.replace(params, layers=[
        dataclasses.replace(layer, w_ih=0 * layer.w_ih, w_hh=0 * layer.w_hh)
        for layer in params.layers])
    zeroed = run_fixed(cfg, bias_only, x, predictor="none")
    np.testing.assert_array_equal(huge.h_int, zeroed.h_int)


def test_first_step_always_computes_and_each_sequence_starts_fresh():
    cfg, params, x = small("lstm", predictor="bnn", theta=255.0)
    one = run_fixed(cfg, params, x[:1])
    again = run_fixed(cfg, params, np.concatenate([x[:1], x[:1]]))
    np.testing.assert_array_equal(again.h_int[:, 0], one.h_int[:, 0])
    np.testing.assert_array_equal(again.h_int[:, 1], one.h_int[:, 0])


def test_lengths_stop_counting_and_freeze_state():
    cfg, params, x = small("gru", predictor="bnn", theta=0.3)
    full = run_fixed(cfg, params, x[:, :4])
    cut = run_fixed(cfg, params, x, lengths=np.array([4, 4, 4]))
    np.testing.assert_array_equal(cut.computed, full.computed)
    np.testing.assert_array_equal(cut.cycles, full.cycles)
    np.testing.assert_array_equal(cut.h_int[:, :, 3], full.h_int[:, :, 3])
