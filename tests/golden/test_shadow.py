"""The mbnn shadow (golden/shadow.py): quantization by hand-worked examples, the dot product."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from core.config import DEFAULT
from golden.shadow import ShadowRows, input_shift, quantize, row_shifts


@pytest.mark.parametrize("value, shift, bits, expect", [
    (9, 0, 4, 7), (-9, 0, 4, -7), (5, 0, 4, 5), (-5, 0, 4, -5), (0, 0, 4, 0),
    (13, 2, 4, 3), (-13, 2, 4, -3), (3, 2, 4, 0), (-3, 2, 4, 0),      # truncation toward 0
    (1000, 3, 2, 1), (-7, 1, 2, -1), (1, 1, 2, 0),                    # ternary
])
def test_quantize(value, shift, bits, expect):
    assert quantize(value, shift, bits) == expect


def test_row_shifts_fit_the_largest_weight():
    w = np.array([[100, -3, 0], [-8, 7, 1], [0, 0, 0], [-1, 0, 1]])
    # bit lengths 7, 4, 0, 1; three magnitude bits at 4 bits
    np.testing.assert_array_equal(row_shifts(w, 4)[:, 0], [4, 1, 0, 0])
    q = quantize(w, row_shifts(w, 4), 4)
    np.testing.assert_array_equal(q, [[6, 0, 0], [-4, 3, 0], [0, 0, 0], [-1, 0, 1]])


def test_inputs_and_dot_product():
    cfg = dataclasses.replace(DEFAULT, shadow_bits=4)        # data Q5.11: shift 8
    assert input_shift(cfg) == 8
    v = np.array([[2048, 1024, -1024, 255, -4096]])          # 1.0, 0.5, -0.5, <1/8, -2.0
    np.testing.assert_array_equal(quantize(v, input_shift(cfg), 4), [[7, 4, -4, 0, -7]])
    w = np.array([[100, -50, 25, 12, -6], [1, 2, 3, 4, 5]])
    rows = ShadowRows(cfg, w)
    qw = quantize(w, row_shifts(w, 4), 4)                     # [[6,-3,1,0,0],[1,2,3,4,5]]
    np.testing.assert_array_equal(qw, [[6, -3, 1, 0, 0], [1, 2, 3, 4, 5]])
    assert rows.yb(v).tolist() == [[6 * 7 - 3 * 4 - 4, 7 + 8 - 12 - 35]]


def test_default_bits_are_the_stored_validation_choice():
    """The default shadow_bits is what ``python -m bench.shadow_bits`` chose on validation data,
    and the stored choice follows its rule from the stored means."""
    from bench.shadow_bits import MARGIN

    doc = json.loads((Path(__file__).resolve().parents[2] / "docs" / "data" /
                      "shadow_bits.json").read_text())
    means = {int(k): m for k, m in doc["mean_reuse"].items()}
    assert doc["chosen"] == min(k for k, m in means.items() if m >= max(means.values()) - MARGIN)
    assert DEFAULT.shadow_bits == doc["chosen"]
