"""Golden cell-update unit: LSTM and GRU state updates in the data format (docs/formats.md)."""

from __future__ import annotations

import numpy as np

from core.activation import activate


def _rq(products, cfg) -> np.ndarray:
    fmt = cfg.data_format
    return fmt.requantize(products, 2 * fmt.frac)


def lstm_update(i, f, g, o, c_prev, cfg):
    """``c = rq(f*c_prev + i*g)``, ``h = rq(o * tanh(c))``; returns (h, c)."""
    i, f, g, o, c_prev = (np.asarray(a, dtype=np.int64) for a in (i, f, g, o, c_prev))
    c = _rq(f * c_prev + i * g, cfg)
    h = _rq(o * activate("tanh", c, cfg), cfg)
    return h, c


def gru_update(r, z, a_x, a_h, h_prev, cfg):
    """PyTorch GRU: ``n = tanh(a_x + r*a_h)``, ``h = (1 - z)*n + z*h_prev``; returns h."""
    r, z, a_x, a_h, h_prev = (np.asarray(a, dtype=np.int64) for a in (r, z, a_x, a_h, h_prev))
    fmt = cfg.data_format
    rh = _rq(r * a_h, cfg)
    n = activate("tanh", fmt.saturate_int(a_x + rh), cfg)
    one = 1 << fmt.frac
    return _rq((one - z) * n + z * h_prev, cfg)


def cell_update(y, y2, h_prev, c_prev, cfg):
    """One layer's cell step from its gate outputs y (batch, gates, H) (and, for the GRU, the n
    gate's a_h ``y2``); returns (h, c), c None for the GRU."""
    if cfg.cell == "lstm":
        return lstm_update(y[:, 0], y[:, 1], y[:, 2], y[:, 3], c_prev, cfg)
    return gru_update(y[:, 0], y[:, 1], y[:, 2], y2, h_prev, cfg), None
