"""Golden cell-update unit: LSTM and GRU state updates in the data format (docs/formats.md).

Besides the new state, a step reports where its narrowings saturated (docs/formats.md,
"Saturation counters"), as the hardware's cell unit counts them: ``c`` the LSTM's c requantize,
``h`` the h requantize, ``pre`` the GRU n gate's ``rq(r*a_h)`` and ``sat(a_x + r*a_h)`` (0, 1 or
2 per neuron).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.activation import activate


@dataclass(frozen=True)
class CellStep:
    """One cell step of a batch: the new state and the saturations per neuron (batch, H)."""

    h: np.ndarray
    c: np.ndarray | None       # None for the GRU
    sat_pre: np.ndarray        # int: GRU n pre-activation narrowings clipped (0 for the LSTM)
    sat_c: np.ndarray          # bool: the c requantize clipped (False for the GRU)
    sat_h: np.ndarray          # bool: the h requantize clipped


def _rq(products, cfg) -> np.ndarray:
    fmt = cfg.data_format
    return fmt.requantize(products, 2 * fmt.frac)


def _clips(products, cfg) -> np.ndarray:
    fmt = cfg.data_format
    return fmt.clips(products, 2 * fmt.frac)


def lstm_step(i, f, g, o, c_prev, cfg) -> CellStep:
    """``c = rq(f*c_prev + i*g)``, ``h = rq(o * tanh(c))``."""
    i, f, g, o, c_prev = (np.asarray(a, dtype=np.int64) for a in (i, f, g, o, c_prev))
    c_sum = f * c_prev + i * g
    c = _rq(c_sum, cfg)
    h_prod = o * activate("tanh", c, cfg)
    return CellStep(_rq(h_prod, cfg), c, np.zeros(c.shape, dtype=np.int64), _clips(c_sum, cfg),
                    _clips(h_prod, cfg))


def gru_step(r, z, a_x, a_h, h_prev, cfg) -> CellStep:
    """PyTorch GRU: ``n = tanh(a_x + r*a_h)``, ``h = (1 - z)*n + z*h_prev``."""
    r, z, a_x, a_h, h_prev = (np.asarray(a, dtype=np.int64) for a in (r, z, a_x, a_h, h_prev))
    fmt = cfg.data_format
    rh = _rq(r * a_h, cfg)
    n = activate("tanh", fmt.saturate_int(a_x + rh), cfg)
    one = 1 << fmt.frac
    h_sum = (one - z) * n + z * h_prev
    sat_pre = _clips(r * a_h, cfg).astype(np.int64) + fmt.out_of_range(a_x + rh)
    return CellStep(_rq(h_sum, cfg), None, sat_pre, np.zeros(h_sum.shape, dtype=bool),
                    _clips(h_sum, cfg))


def lstm_update(i, f, g, o, c_prev, cfg):
    """``c = rq(f*c_prev + i*g)``, ``h = rq(o * tanh(c))``; returns (h, c)."""
    s = lstm_step(i, f, g, o, c_prev, cfg)
    return s.h, s.c


def gru_update(r, z, a_x, a_h, h_prev, cfg):
    """PyTorch GRU: ``n = tanh(a_x + r*a_h)``, ``h = (1 - z)*n + z*h_prev``; returns h."""
    return gru_step(r, z, a_x, a_h, h_prev, cfg).h


def cell_update(y, y2, h_prev, c_prev, cfg) -> CellStep:
    """One layer's cell step from its gate outputs y (batch, gates, H) (and, for the GRU, the n
    gate's a_h ``y2``)."""
    if cfg.cell == "lstm":
        return lstm_step(y[:, 0], y[:, 1], y[:, 2], y[:, 3], c_prev, cfg)
    return gru_step(y[:, 0], y[:, 1], y[:, 2], y2, h_prev, cfg)
