"""Golden BNN unit: the binarized dot product of sign bits, ``2 * popcount(XNOR) - K``."""

from __future__ import annotations

import numpy as np

from golden.dpu import Rows


def sign_bits(v) -> np.ndarray:
    """1 where the value is negative (sign -1), 0 where it is >= 0 (sign +1)."""
    return (np.asarray(v) < 0).astype(np.int8)


def _signs(bits) -> np.ndarray:
    return 1 - 2 * np.asarray(bits, dtype=np.int8)


class BinaryRows:
    """The BNN unit's weight sign bits (M, K), prepared once; :meth:`yb` for input batches."""

    def __init__(self, weight_signs):
        self._rows = Rows(_signs(weight_signs), input_bound=1)

    def yb(self, input_signs) -> np.ndarray:
        """Sign bits (batch, K) -> yb (batch, M)."""
        return self._rows.matvec(_signs(input_signs))


def binary_dot(weight_signs, input_signs) -> np.ndarray:
    """yb for sign bits: weight_signs (M, K), input_signs (batch, K) -> (batch, M).

    ``yb = sum_k s(w_k) s(v_k)`` with ``s = 1 - 2 * bit``, equal to ``2 * popcount(XNOR) - K``.
    """
    return BinaryRows(weight_signs).yb(input_signs)


def popcount_yb(weight_signs, input_signs) -> np.ndarray:
    """The hardware's form, ``2 * popcount(~(w ^ v)) - K``, for one row and one input vector."""
    w = np.asarray(weight_signs, dtype=np.int64)
    v = np.asarray(input_signs, dtype=np.int64)
    matches = np.sum(1 - (w ^ v), axis=-1)
    return 2 * matches - w.shape[-1]
