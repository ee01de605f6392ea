"""Float golden model: multi-layer LSTM/GRU with the semantics of ``torch.nn.LSTM``/``nn.GRU``.

Gate order and biases as PyTorch: LSTM ``i, f, g, o`` with ``c = f*c + i*g``, ``h = o*tanh(c)``;
GRU ``r, z, n`` with ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h = (1-z)*n + z*h``.
Initial states are zero; batch-first inputs (batch, time, features); float64 throughout.

Ghost layers (GhostRNN, docs/architecture.md "Ghost states"; a layer whose ``w_gh`` is not None):
the cell computes only the I = H - G intrinsic neurons (w_ih (g*I, X), w_hh (g*I, H): the
recurrent input is the full h), u_t its new intrinsic state (c has I elements; the GRU's
``z * h`` term uses ``h_{t-1}[:I]``), and the cheap operation makes the G ghost states
``q_t = tanh(W_gh u_t + b_gh)``; ``h_t = concat(u_t, q_t)``, intrinsic first.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))     # overflow-free form of 1 / (1 + exp(-x))


def _layer(cell: str, layer, x: np.ndarray) -> np.ndarray:
    batch, steps, _ = x.shape
    hidden = layer.w_hh.shape[1]
    inner = layer.w_hh.shape[0] // (4 if cell == "lstm" else 3)   # I (= H without ghosts)
    w_gh = getattr(layer, "w_gh", None)
    h = np.zeros((batch, hidden))
    c = np.zeros((batch, inner))
    out = np.empty((batch, steps, hidden))
    xw = x @ layer.w_ih.T + layer.b_ih           # input projections of every step at once
    for t in range(steps):
        hw = h @ layer.w_hh.T + layer.b_hh
        if cell == "lstm":
            i, f, g, o = np.split(xw[:, t] + hw, 4, axis=1)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            u = _sigmoid(o) * np.tanh(c)
        else:
            xr, xz, xn = np.split(xw[:, t], 3, axis=1)
            hr, hz, hn = np.split(hw, 3, axis=1)
            r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
            n = np.tanh(xn + r * hn)
            u = (1.0 - z) * n + z * h[:, :inner]
        if w_gh is None:
            h = u
        else:                                        # the cheap operation: the ghost states
            h = np.concatenate([u, np.tanh(u @ w_gh.T + layer.b_gh)], axis=1)
        out[:, t] = h
    return out


def run_float_all_layers(params, x) -> list[np.ndarray]:
    """Every layer's h, each (batch, time, H)."""
    x = np.asarray(x, dtype=np.float64)
    outs = []
    with threadpool_limits(limits=1, user_api="blas"):    # see golden.model.run_fixed
        for layer in params.layers:
            x = _layer(params.cell, layer, x)
            outs.append(x)
    return outs


def run_float(params, x) -> np.ndarray:
    """The last layer's h (batch, time, H)."""
    return run_float_all_layers(params, x)[-1]
