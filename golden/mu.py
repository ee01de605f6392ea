"""Golden multi-functional unit: bias, rounding and saturation, sigmoid/tanh from the table."""

from __future__ import annotations

import numpy as np

from core.activation import activate


def _biased(acc, bias, cfg) -> np.ndarray:
    bias = np.asarray(bias, dtype=np.int64) << cfg.data_format.frac
    return np.asarray(acc, dtype=np.int64) + bias


def preactivation(acc, bias, cfg) -> np.ndarray:
    """``data_format.requantize(acc + (bias << F), acc_frac)``: accumulator -> data format."""
    return cfg.data_format.requantize(_biased(acc, bias, cfg), cfg.acc_frac)


def preactivation_clips(acc, bias, cfg) -> np.ndarray:
    """True where :func:`preactivation` saturates (a ``sat_pre`` event of the MU)."""
    return cfg.data_format.clips(_biased(acc, bias, cfg), cfg.acc_frac)


def mu(acc, bias, kind: str, cfg) -> np.ndarray:
    """Accumulator and bias -> activation output (kind ``sigmoid`` or ``tanh``)."""
    return activate(kind, preactivation(acc, bias, cfg), cfg)
