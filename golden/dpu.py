"""Golden dot-product unit: the exact integer dot product of a weight row with [x, h]."""

from __future__ import annotations

import numpy as np


def dot(weights, inputs) -> np.ndarray:
    """``sum_k w[..., k] * v[..., k]`` in exact int64 arithmetic.

    weights (..., K), inputs (..., K)."""
    w = np.asarray(weights, dtype=np.int64)
    v = np.asarray(inputs, dtype=np.int64)
    return np.einsum("...k,...k->...", w, v)


def matvec(weights, inputs) -> np.ndarray:
    """All neurons at once: weights (M, K), inputs (batch, K) -> (batch, M), exact.

    int64 matmul is exact here: |w * v| < 2**30 and at most 2**13 terms, far below 2**63.
    """
    return np.asarray(inputs, dtype=np.int64) @ np.asarray(weights, dtype=np.int64).T
