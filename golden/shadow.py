"""Golden multi-bit shadow network: the predictor of scheme ``mbnn`` (golden/schemes/mbnn.py).

The BNN shadow (golden/bnn.py) keeps one bit, the sign, of every weight and input. This shadow
keeps k = ``cfg.shadow_bits`` bits of each, sign and magnitude: a value ``a`` with right shift
``s`` becomes ``sign(a) * min(|a| >> s, 2**(k-1) - 1)`` (truncation of the magnitude toward 0,
then saturation). The shifts:

- weights: one per row (gate neuron), the smallest that fits the row's largest ``|w|`` into the
  k-1 magnitude bits, ``s = max(0, bit_length(max |w|) - (k-1))``: the relative reuse test
  compares a neuron's shadow output only with its own earlier one, so a per-row scale costs no
  accuracy of the test (and a few shift bits per row in hardware);
- inputs (x and h alike): ``data_format.frac - (k-1)``: 1.0 becomes ``2**(k-1)`` and saturates
  to ``2**(k-1) - 1``, smaller values in steps of ``2**-(k-1)``.

The shadow output is the exact integer dot product ``yb = sum_k q(w_k) q(v_k)``.
"""

from __future__ import annotations

import numpy as np

from golden.dpu import Rows


def quantize(values, shift, bits: int) -> np.ndarray:
    """Sign-magnitude truncation to ``bits`` bits after a right shift (``shift`` broadcasts)."""
    a = np.asarray(values, dtype=np.int64)
    mag = np.minimum(np.abs(a) >> np.asarray(shift, dtype=np.int64), (1 << (bits - 1)) - 1)
    return np.sign(a) * mag


def row_shifts(w, bits: int) -> np.ndarray:
    """The per-row weight shift (M, 1) of weight integers ``w`` (M, K)."""
    top = np.abs(np.asarray(w, dtype=np.int64)).max(axis=1, keepdims=True)
    length = np.frexp(top.astype(np.float64))[1]          # bit_length, exact below 2**53
    return np.maximum(0, length - (bits - 1)).astype(np.int64)


def input_shift(cfg) -> int:
    return max(0, cfg.data_format.frac - (cfg.shadow_bits - 1))


class ShadowRows:
    """The shadow weights of one layer (M, K), prepared once; :meth:`yb` for input batches."""

    def __init__(self, cfg, w):
        self.bits, self.shift = cfg.shadow_bits, input_shift(cfg)
        q = quantize(w, row_shifts(w, self.bits), self.bits)
        self._rows = Rows(q, input_bound=(1 << (self.bits - 1)) - 1)

    def yb(self, v) -> np.ndarray:
        """Data-format inputs (batch, K) -> shadow outputs (batch, M)."""
        return self._rows.matvec(quantize(v, self.shift, self.bits))
