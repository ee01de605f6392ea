"""Small configs, layers and hand-made layer steps for the scheme tests."""

from __future__ import annotations

import dataclasses

import numpy as np

from core.config import DEFAULT
from core.params import config_for, random_params
from golden.cu import LayerStep
from golden.params import quantize_params
from golden.schemes import scheme_for

SEED = 20261207


def scheme(predictor, cell="lstm", **kw):
    """(cfg, layers, scheme) of a 2-layer model with X = 5, H = 6, N = 4, B = 8."""
    params = random_params(cell, 5, 6, 2, seed=SEED, scale=0.8)
    cfg = config_for(params, dataclasses.replace(DEFAULT, lanes=4, bnn_bits=8),
                     predictor=predictor, **kw)
    layers = quantize_params(cfg, params)
    return cfg, layers, scheme_for(cfg, layers)


def layer_step(cfg, layer=0, batch=3, seed=SEED, columns=None):
    """A step with random data-format inputs and gate outputs (and the GRU's a_h)."""
    rng = np.random.default_rng(seed)
    fmt = cfg.data_format
    v = fmt.quantize(rng.normal(0, 1, (batch, cfg.row_length(layer))))
    y = rng.integers(-2000, 2000, (batch, cfg.gates, cfg.hidden_size))
    y2 = rng.integers(-2000, 2000, (batch, cfg.hidden_size)) if cfg.cell == "gru" else None
    if columns is None:
        columns = np.full(batch, cfg.row_length(layer))
    return LayerStep(layer, v, np.asarray(columns), y, y2)
