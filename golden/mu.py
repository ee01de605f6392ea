"""Golden multi-functional unit: bias, rounding and saturation, sigmoid/tanh from the table."""

from __future__ import annotations

import numpy as np

from core.activation import activate


def preactivation(acc, bias, cfg) -> np.ndarray:
    """``data_format.requantize(acc + (bias << F), acc_frac)``: accumulator -> data format."""
    bias = np.asarray(bias, dtype=np.int64) << cfg.data_format.frac
    acc = np.asarray(acc, dtype=np.int64) + bias
    return cfg.data_format.requantize(acc, cfg.acc_frac)


def mu(acc, bias, kind: str, cfg) -> np.ndarray:
    """Accumulator and bias -> activation output (kind ``sigmoid`` or ``tanh``)."""
    return activate(kind, preactivation(acc, bias, cfg), cfg)
