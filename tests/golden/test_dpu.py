"""golden/dpu.py: the fast products of Rows against Python's exact integers, on both paths."""

from __future__ import annotations

import numpy as np
import pytest

from golden.dpu import FLOAT_EXACT, Rows, dot, matvec

SEED = 20261203


def exact(weights, inputs):
    """Python integers: no width, no rounding."""
    return np.array([[sum(int(a) * int(b) for a, b in zip(w, v, strict=True)) for w in weights]
                     for v in inputs], dtype=object)


def operands(width, rows, k, batch, seed):
    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    w = rng.integers(lo, hi + 1, (rows, k))
    v = rng.integers(lo, hi + 1, (batch, k))
    w[0], v[0] = lo, lo              # the largest products, all of one sign
    w[1], v[1] = lo, hi
    return w, v


@pytest.mark.parametrize("width, k", [(16, 1), (16, 77), (16, 600), (24, 64), (28, 200)])
@pytest.mark.parametrize("bound", [False, True])
def test_matvec_is_exact(width, k, bound):
    print(f"seed {SEED}")
    w, v = operands(width, 5, k, 4, SEED + k)
    rows = Rows(w, input_bound=1 << (width - 1)) if bound else Rows(w)
    out = rows.matvec(v)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.astype(object), exact(w, v))
    np.testing.assert_array_equal(matvec(w, v), out)
    np.testing.assert_array_equal(dot(w[None, :, :], v[:, None, :]), out)


def test_path_follows_the_bound():
    w, v = operands(16, 3, 8, 2, SEED)
    assert Rows(w, input_bound=1 << 15)._in_float
    big = np.full((1, 4), 1 << 30)
    assert big.max() ** 2 * 4 >= FLOAT_EXACT
    assert not Rows(big, input_bound=1 << 30)._in_float
    # 2**62 is beyond float64's integers but exact in int64
    np.testing.assert_array_equal(Rows(big).matvec(big), [[1 << 62]])


def test_errors():
    with pytest.raises(OverflowError, match="exceed int64"):
        Rows(np.full((1, 4), 1 << 31)).matvec(np.full((1, 4), 1 << 31))
    with pytest.raises(OverflowError, match="exceed int64"):
        Rows(np.full((1, 4), 1 << 31), input_bound=1 << 31)
    with pytest.raises(TypeError, match="integers"):
        Rows(np.ones((2, 2)))
    with pytest.raises(TypeError, match="integers"):
        Rows(np.ones((2, 2), dtype=np.int64)).matvec(np.ones((1, 2)))
    with pytest.raises(ValueError, match="length"):
        Rows(np.ones((2, 3), dtype=np.int64)).matvec(np.ones((1, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="2-D"):
        Rows(np.ones(3, dtype=np.int64))
