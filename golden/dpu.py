"""Golden dot-product unit: the exact integer dot product of a weight row with [x, h].

The golden model takes the products of whole layers at once. NumPy's int64 ``@`` runs no BLAS and
is slow, so :class:`Rows` uses float64 products whenever they are exact: every product and every
partial sum is an integer below ``max|w| * max|v| * K``, and float64 holds integers exactly up to
2**53 (16-bit weights and data give products below 2**30, so rows up to 2**23 long qualify).
Larger bounds fall back to int64, still exact; beyond 2**63 the product is refused.
"""

from __future__ import annotations

import numpy as np

FLOAT_EXACT = 1 << 53
INT64_EXACT = 1 << 63


def dot(weights, inputs) -> np.ndarray:
    """``sum_k w[..., k] * v[..., k]`` in exact int64 arithmetic.

    weights (..., K), inputs (..., K)."""
    w = np.asarray(weights, dtype=np.int64)
    v = np.asarray(inputs, dtype=np.int64)
    return np.einsum("...k,...k->...", w, v)


def _integers(a, what: str) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind not in "biu":
        raise TypeError(f"{what} must be integers, not {a.dtype}")
    return a


def _max_abs(a: np.ndarray) -> int:
    return max(int(a.max()), -int(a.min())) if a.size else 0


class Rows:
    """Weight rows (M, K) prepared once for exact products with many input batches.

    ``input_bound``: when given, the inputs' magnitude never exceeds it (the data format's
    range, 1 for signs) and the product's form is chosen once; else it is chosen per call from
    the inputs' largest magnitude.
    """

    def __init__(self, weights, input_bound: int | None = None):
        w = _integers(weights, "weights").astype(np.int64)
        if w.ndim != 2:
            raise ValueError(f"weight rows must be 2-D (M, K), not shape {w.shape}")
        self.shape = w.shape
        self.max_abs = _max_abs(w)
        self._int = w.T
        self._float = w.T.astype(np.float64, order="C")
        self._in_float = None if input_bound is None else self._exact_in_float(input_bound)

    def _exact_in_float(self, input_bound: int) -> bool:
        bound = self.max_abs * input_bound * self.shape[1]
        if bound >= INT64_EXACT:
            raise OverflowError(f"dot products up to {bound} exceed int64")
        return bound < FLOAT_EXACT

    def matvec(self, inputs) -> np.ndarray:
        """inputs (batch, K) -> (batch, M) int64, ``out[b, m] = sum_k w[m, k] * v[b, k]``."""
        v = _integers(inputs, "inputs")
        if v.shape[-1:] != self.shape[1:]:
            raise ValueError(f"inputs of length {v.shape[-1:]} for rows of length {self.shape[1]}")
        in_float = self._in_float
        if in_float is None:
            in_float = self._exact_in_float(_max_abs(v))
        if in_float:
            return (v.astype(np.float64) @ self._float).astype(np.int64)
        return v.astype(np.int64) @ self._int


def matvec(weights, inputs) -> np.ndarray:
    """All neurons at once: weights (M, K), inputs (batch, K) -> (batch, M), exact."""
    return Rows(weights).matvec(inputs)
