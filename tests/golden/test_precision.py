"""golden/precision.py: the low-precision words on hand-checked values, the tracker's rule, and the
time loop with dynamic precision against the scalar reference, static precision, the cycles of
low steps and the composition with memoization."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.fixed import FixedFormat
from core.params import config_for, random_params
from golden import controller, cu, cycles
from golden.params import quantize_params
from golden.precision import Tracker, low_data, low_scale, low_weights
from tests.golden.reference_model import reference_run

DYN = dataclasses.replace(DEFAULT, precision="dynamic", hidden_size=3, precision_theta=2 / 2048)


@pytest.mark.parametrize("w, want", [
    (0, 0), (127, 0), (128, 1),             # sw = 8: half an upper ulp rounds up
    (-128, 0), (-129, -1),                  # -0.5 -> 0 (half up), just below -> -1
    (383, 1), (384, 2), (-384, -1),         # 1.5 -> 2, -1.5 -> -1
    (256 * 127, 127), (256 * 127 + 127, 127),
    (256 * 127 + 128, 127),                 # 127.5 rounds to 128: saturates at 127
    (32767, 127), (-32768, -128), (-32768 + 127, -128), (-32768 + 128, -127),
])
def test_low_weights(w, want):
    assert DEFAULT.low_weight_shift == 8
    assert low_weights(DEFAULT, np.array([w]))[0] == want


@pytest.mark.parametrize("v, want", [
    (0, 0), (15, 0), (16, 1), (-16, 0), (-17, -1),   # sv = 5: ties round up
    (48, 2), (-48, -1),
    (127 * 32, 127), (127 * 32 + 16, 127),           # 127.5 -> 128 saturates
    (128 * 32, 127), (32767, 127),                   # data 4.0 and beyond: saturate (Q2.6 max)
    (-128 * 32, -128), (-32768, -128), (-128 * 32 + 16, -127),
])
def test_low_data(v, want):
    assert DEFAULT.low_data_shift == 5
    assert low_data(DEFAULT, np.array([v]))[0] == want


def test_low_data_without_shift_saturates_only():
    cfg = dataclasses.replace(DEFAULT, data_format=FixedFormat(16, 6), low_data_frac=6,
                              lut_frac=6, lut_int=3)
    assert cfg.low_data_shift == 0
    np.testing.assert_array_equal(low_data(cfg, np.array([0, 1, -1, 127, 128, -128, -129, 999])),
                                  [0, 1, -1, 127, 127, -128, -128, 127])


def test_low_words_keep_shape_and_type():
    w = np.arange(-600, 600, 7).reshape(2, -1)
    out = low_weights(DEFAULT, w)
    assert out.shape == w.shape and out.dtype == np.int64
    assert low_scale(DEFAULT) == 13


def test_a_low_product_is_close_to_the_full_one():
    w, v = np.array([0x1234]), np.array([0x0567])       # 1.138 * 0.675 in Q4.12 x Q5.11
    lo = int(low_weights(DEFAULT, w)[0] * low_data(DEFAULT, v)[0]) << low_scale(DEFAULT)
    full = int(w[0] * v[0])
    assert lo == (0x12 * 0x2b) << 13 and abs(lo - full) / full < 0.02


def tracker(mode="dynamic", theta=2 / 2048, batch=2):
    cfg = dataclasses.replace(DYN, precision=mode, precision_theta=theta)
    return Tracker.fresh(cfg, batch)


def test_a_sequence_starts_high():
    assert tracker().precision().tolist() == [False, False]


def test_static_and_low_never_change():
    for mode, want in (("static", False), ("low", True)):
        t = tracker(mode)
        for s in ([0, 0, 0], [900, -900, 5], [900, -900, 5]):
            assert t.precision().tolist() == [want, want]
            t.update(np.array([s, s]), np.array([True, True]))


def test_the_rule_against_the_previous_state():
    t = tracker()                      # theta 2 ulps
    active = np.array([True, True])
    # s_{-1} = 0: the first step's change is the state itself
    t.update(np.array([[2, -2, 0], [3, 0, 0]]), active)
    assert t.precision().tolist() == [True, False]          # |2| <= 2; |3| > 2
    t.update(np.array([[4, -4, 2], [3, 1, -2]]), active)    # moves by 2 / by at most 2
    assert t.precision().tolist() == [True, True]
    t.update(np.array([[4, -7, 2], [3, 1, -2]]), active)    # one neuron moves by 3 / none
    assert t.precision().tolist() == [False, True]
    np.testing.assert_array_equal(t.state, [[4, -7, 2], [3, 1, -2]])


def test_theta_zero_needs_an_unchanged_state():
    t = tracker(theta=0.0)
    assert t.theta == 0
    active = np.array([True, True])
    t.update(np.array([[0, 0, 0], [0, 1, 0]]), active)      # the zero state did not move
    assert t.precision().tolist() == [True, False]
    t.update(np.array([[0, 0, 0], [0, 1, 0]]), active)
    assert t.precision().tolist() == [True, True]


def test_an_inactive_sequence_keeps_its_state_and_precision():
    t = tracker()
    t.update(np.array([[1, 1, 1], [9, 9, 9]]), np.array([True, True]))
    t.update(np.array([[50, 50, 50], [9, 9, 9]]), np.array([False, True]))
    assert t.precision().tolist() == [True, True]
    np.testing.assert_array_equal(t.state[0], [1, 1, 1])


def test_reset_starts_the_chosen_sequences_afresh():
    t = tracker()
    t.update(np.array([[1, 1, 1], [1, 1, 1]]), np.array([True, True]))
    t.reset(np.array([False, True]))
    assert t.precision().tolist() == [True, False]
    np.testing.assert_array_equal(t.state, [[1, 1, 1], [0, 0, 0]])


# -- the time loop with dynamic precision ------------------------------------------------------

SEED = 20261213


def case(cell, layers, **kw):
    params = random_params(cell, 4, 5, layers, seed=SEED + layers, scale=0.7)
    cfg = config_for(params, dataclasses.replace(DEFAULT, lanes=3, bnn_bits=4), **kw)
    x = np.random.default_rng(SEED).normal(0, 1.2, (3, 8, 4))
    x[:, 4:] = x[:, 3:4]                 # a steady second half: the tracker finds stable steps
    return cfg, quantize_params(cfg, params), params, x


def run(cfg, layers, x, lengths=None):
    lengths = np.full(x.shape[0], x.shape[1]) if lengths is None else np.asarray(lengths)
    return controller.run(cfg, layers, cfg.data_format.quantize(x), lengths)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("predictor", ["none", "bnn", "mbnn", "oracle"])
@pytest.mark.parametrize("precision", ["low", "dynamic"])
def test_matches_scalar_reference(cell, layers, predictor, precision):
    """The vectorized low steps and tracker against plain Python integers
    (tests/golden/reference_model.py), with memoization on or off."""
    print(f"seed {SEED}")
    cfg, q, params, x = case(cell, layers, predictor=predictor, theta=0.25, reuse_cap=2,
                             precision=precision, precision_theta=0.1875)
    result = run(cfg, q, x)
    extra = {}
    ref_h, ref_counts = reference_run(cfg, params, x, extra)
    np.testing.assert_array_equal(result.h_int[-1], ref_h)
    for b, (computed, reused, skipped, _) in enumerate(ref_counts):
        assert result.computed[b].tolist() == computed
        assert result.reused[b].tolist() == reused
        assert result.macs_skipped[b] == skipped
    np.testing.assert_array_equal(result.steps_low, extra["steps_low"])
    np.testing.assert_array_equal(result.steps_high + result.steps_low, layers * x.shape[1])
    if precision == "dynamic":         # the case is a real test of the rule: both precisions
        assert 0 < result.steps_low.sum() < layers * x.size // x.shape[2]
    counters = result.counters()
    assert [k for k in counters if k.startswith("steps_")] == ["steps_high", "steps_low"]
    assert set(counters) - {"macs", "macs_skipped", "changed"} == set(cfg.counter_names)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("predictor", ["none", "bnn"])
def test_static_is_the_full_precision_model(cell, predictor):
    """Static precision: no precision counter, and the same h, counters and cycles as a dynamic
    run whose tracker never chooses low (theta 0 on changing inputs) and a run of the low-free
    code path (``low=None`` everywhere)."""
    cfg, q, _, x = case(cell, 2, predictor=predictor, theta=0.25)
    static = run(cfg, q, x)
    assert not any(k.startswith("steps_") for k in static.counters())
    never = run(cfg.with_overrides(precision="dynamic", precision_theta=0.0), q,
                np.random.default_rng(1).normal(0, 1, x.shape))
    assert never.steps_low.sum() == 0
    again = run(cfg.with_overrides(precision="dynamic", precision_theta=0.0), q, x)
    if again.steps_low.sum() == 0:
        np.testing.assert_array_equal(again.h_int, static.h_int)
        np.testing.assert_array_equal(again.cycles, static.cycles)
    # a dynamic run whose tracker is forced high everywhere equals static exactly
    forced = dataclasses.replace(cfg, precision="dynamic", precision_theta=0.0)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(Tracker, "precision", lambda self: np.zeros(self.low.shape, dtype=bool))
        high = run(forced, q, x)
    np.testing.assert_array_equal(high.h_int, static.h_int)
    for name, value in static.counters().items():
        np.testing.assert_array_equal(high.counters()[name], value, err_msg=name)


def test_low_steps_are_timed_with_kd_low():
    """Every step low, baseline build: each layer step takes H * Kd_low + C cycles (C of the
    baseline formula); with memo, the cycle model's schedule with Kd_low."""
    cfg, q, _, x = case("lstm", 2, predictor="none", precision="low")
    result = run(cfg, q, x)
    per_step = sum(cycles.baseline_step_cycles(cfg, k, low=True) for k in range(2))
    assert per_step == sum(cfg.hidden_size * -(-cfg.row_length(k) // (2 * cfg.lanes))
                           + cycles.BASELINE_OVERHEAD for k in range(2))
    np.testing.assert_array_equal(result.cycles, x.shape[1] * per_step)
    static = run(cfg.with_overrides(precision="static"), q, x)
    assert (result.cycles < static.cycles).all()


def test_dynamic_with_memo_composes():
    """Memo + dynamic precision: the cycles of each step are the memo schedule with Kd_low in
    the low steps, and low steps still reuse (the BNN reads the full-precision signs)."""
    # the BNN decides a neuron a cycle (B = X + H), so the DPU is the bottleneck
    cfg, q, _, x = case("lstm", 1, predictor="bnn", theta=0.0, precision="dynamic",
                        precision_theta=0.375, bnn_bits=9)
    result = run(cfg, q, x)
    assert result.steps_low.sum() > 0 and result.reused.sum() > 0
    low = result.low[0]
    memo = dataclasses.replace(cfg, precision="static")
    # recompute the cycles from the step-by-step reuse decisions of the same run
    steps = []
    with pytest.MonkeyPatch.context() as m:
        original = cu.step

        def spy(*args, **kw):
            s = original(*args, **kw)
            steps.append(s)
            return s
        m.setattr(cu, "step", spy)
        again = run(cfg, q, x)
    np.testing.assert_array_equal(again.cycles, result.cycles)
    want = sum(cycles.layer_step_cycles(memo, 0, ~s.reuse, low[:, t])
               for t, s in enumerate(steps))
    np.testing.assert_array_equal(result.cycles, want)
    hi = sum(cycles.layer_step_cycles(memo, 0, ~s.reuse) for s in steps)
    assert (want <= hi).all() and (want < hi).any()
