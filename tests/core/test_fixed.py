"""Rounding and saturation of every fixed-point format at its edges."""

import numpy as np
import pytest

from core.config import DEFAULT
from core.fixed import FixedFormat, shift_round

FORMATS = {
    "weight": DEFAULT.weight_format,
    "data": DEFAULT.data_format,
    "theta": DEFAULT.theta_format,
    "data_floor": FixedFormat(16, 11, rounding="floor"),
    "narrow": FixedFormat(4, 1),
}


@pytest.mark.parametrize("name", FORMATS)
def test_largest_and_smallest_are_exact(name):
    f = FORMATS[name]
    assert f.quantize(f.max_value) == f.max_int
    assert f.quantize(f.min_value) == f.min_int
    assert f.to_float(f.max_int) == f.max_value


@pytest.mark.parametrize("name", FORMATS)
def test_overflow_saturates_both_ways(name):
    f = FORMATS[name]
    assert f.quantize(f.max_value + f.ulp) == f.max_int
    assert f.quantize(1e9) == f.max_int
    assert f.quantize(f.min_value - f.ulp) == f.min_int
    assert f.quantize(-1e9) == f.min_int


@pytest.mark.parametrize("name", FORMATS)
def test_half_ulp_either_side(name):
    f = FORMATS[name]
    base = 3 * f.ulp
    eps = f.ulp / 64
    below, tie, above = f.quantize([base + f.ulp / 2 - eps, base + f.ulp / 2,
                                    base + f.ulp / 2 + eps])
    assert below == 3
    assert above == (4 if f.rounding == "half_up" else 3)
    assert tie == (4 if f.rounding == "half_up" else 3)      # half_up: ties toward +inf
    if f.signed:
        neg = f.quantize([-base - f.ulp / 2 - eps, -base - f.ulp / 2, -base - f.ulp / 2 + eps])
        expect = [-4, -3, -3] if f.rounding == "half_up" else [-4, -4, -4]
        assert list(neg) == expect


@pytest.mark.parametrize("name", ["weight", "data", "data_floor"])
def test_requantize_rounds_then_saturates(name):
    f = FORMATS[name]
    wide = f.frac + 9
    half = 1 << 8
    v = np.array([3 << 9, (3 << 9) + half - 1, (3 << 9) + half, -(3 << 9) - half,
                  (f.max_int + 1) << 9, (f.min_int - 1) << 9, (f.max_int << 9) + half])
    got = f.requantize(v, wide)
    up = f.rounding == "half_up"
    assert list(got) == [3, 3, 4 if up else 3, -3 if up else -4, f.max_int, f.min_int,
                         f.max_int]


def test_shift_round_matches_float_rounding_on_random_values():
    rng = np.random.default_rng(7)
    v = rng.integers(-(1 << 40), 1 << 40, 10000)
    np.testing.assert_array_equal(shift_round(v, 13), np.floor(v / 8192 + 0.5).astype(np.int64))
    np.testing.assert_array_equal(shift_round(v, 13, "floor"), v >> 13)


@pytest.mark.parametrize("kw, msg", [
    ({"width": 1, "frac": 0}, "width must be an integer in 2..48"),
    ({"width": 8, "frac": 8}, "fraction bits must be an integer in 0..7"),
    ({"width": 8, "frac": 2, "rounding": "even"}, "rounding must be one of"),
    ({"width": 8, "frac": 2, "saturate": False}, r"wrap-around\) is not supported"),
    ({"width": 8, "frac": 2, "signed": "no"}, "signed must be true or false, not 'no'"),
    ({"width": 8, "frac": 2, "signed": 1}, "signed must be true or false, not 1"),
    ({"width": 8, "frac": 2, "saturate": "yes"}, "saturate must be true or false, not 'yes'"),
    ({"width": 8, "frac": True}, "fraction bits must be an integer"),
])
def test_impossible_formats_are_refused(kw, msg):
    with pytest.raises(ValueError, match=msg):
        FixedFormat(**kw)


def test_quantize_refuses_nan():
    with pytest.raises(ValueError, match="NaN"):
        DEFAULT.data_format.quantize([0.0, np.nan])
