"""golden/bnn.py: the vectorized binary dot product against the hardware's XNOR-popcount form."""

from __future__ import annotations

import numpy as np
import pytest

from golden.bnn import BinaryRows, binary_dot, popcount_yb, sign_bits

SEED = 20261204


def test_sign_bits():
    np.testing.assert_array_equal(sign_bits([-3, -1, 0, 1, 7]), [1, 1, 0, 0, 0])


@pytest.mark.parametrize("k", [1, 2, 31, 32, 33, 300])
def test_binary_dot_is_popcount(k):
    print(f"seed {SEED}")
    rng = np.random.default_rng(SEED + k)
    w = sign_bits(rng.integers(-5, 5, (6, k)))
    v = sign_bits(rng.integers(-5, 5, (3, k)))
    want = np.array([[popcount_yb(row, vec) for row in w] for vec in v])
    np.testing.assert_array_equal(binary_dot(w, v), want)
    np.testing.assert_array_equal(BinaryRows(w).yb(v), want)
    # extremes: all signs equal -> K, all opposite -> -K
    assert binary_dot(w[:1], w[:1])[0, 0] == k
    assert binary_dot(w[:1], 1 - w[:1])[0, 0] == -k
