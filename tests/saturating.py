"""Models and configs built to saturate, shared by the golden, hardware and cocotb tests.

The data format is Q2.8 (range [-2, 2)) with an activation table over [-2, 2) (``lut_int`` 1),
so pre-activations beyond +-2 clip; the LSTM's forget and input gates are biased open and its g
gate biased to +-1 per neuron, so each cell state grows by about 0.9 per step and clips at +-2
from the third step on. h cannot clip: every gate output is a table value in [-1, 1]
(docs/formats.md), which the tests assert too.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from core.config import DEFAULT
from core.fixed import FixedFormat
from core.params import LayerParams, RNNParams, config_for, random_params

LENGTHS = np.array([5, 2, 4])
HOT = dict(data_format=FixedFormat(10, 8), lut_int=1, lut_frac=5)


def saturating_case(cell: str, seed: int, predictor: str = "bnn", theta: float = 0.5,
                    mode: str = "relative", xs: int = 5, hidden: int = 6, layers: int = 2,
                    name: str | None = None):
    """(cfg, params, x, lengths) of a 2-layer model that saturates pre-activations (and, LSTM,
    the cell state) in every layer; x lies within the data format (no input clips)."""
    params = random_params(cell, xs, hidden, layers, seed=seed, scale=0.9)
    rng = np.random.default_rng(seed)
    biased = []
    for layer in params.layers:
        b = np.zeros_like(layer.b_ih)
        if cell == "lstm":
            i, f, g, _ = (slice(k * hidden, (k + 1) * hidden) for k in range(4))
            b[i], b[f] = 2.5, 3.0
            b[g] = 2.5 * rng.choice([-1.0, 1.0], hidden)
        else:
            b[:] = rng.uniform(-2.5, 2.5, b.shape)
        biased.append(LayerParams(layer.w_ih, layer.w_hh, layer.b_ih + b, layer.b_hh))
    params = RNNParams(cell, biased)
    base = dataclasses.replace(DEFAULT, name=name or f"sat_{cell}", lanes=4, bnn_bits=8,
                               predictor=predictor, theta=theta, mode=mode, **HOT)
    cfg = config_for(params, base)
    x = rng.uniform(-1.9, 1.9, (len(LENGTHS), int(LENGTHS.max()), xs))
    return cfg, params, x, LENGTHS.copy()
