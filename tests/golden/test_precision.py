"""golden/precision.py: the low-precision words on hand-checked values, and the tracker's rule."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.fixed import FixedFormat
from golden.precision import Tracker, low_data, low_scale, low_weights

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
