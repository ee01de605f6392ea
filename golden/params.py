"""Parameters as the accelerator holds them: quantized rows and biases, and weight-load words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.config import EpurConfig
from core.layout import GHOST, GHOST_B, GHOST_W
from core.params import RNNParams, check_matches


@dataclass(frozen=True)
class QuantLayer:
    w: np.ndarray          # (gates, H, X_l + H) weight_format integers, row = [w_ih | w_hh]
    b: np.ndarray          # (gates, H) combined bias; GRU n: b_in only
    b_hn: np.ndarray | None  # (H,) GRU only
    w_gh: np.ndarray | None = None  # (G, I) ghost layers only (golden/ghost.py)
    b_gh: np.ndarray | None = None  # (G,)


def quantize_params(cfg: EpurConfig, params: RNNParams) -> tuple[QuantLayer, ...]:
    """Rows and biases as the accelerator holds them (docs/formats.md)."""
    check_matches(cfg, params)
    wf, g, h = cfg.weight_format, cfg.gates, cfg.intrinsic_size   # rows a gate: I
    out = []
    for layer in params.layers:
        rows = np.concatenate([layer.w_ih, layer.w_hh], axis=1).reshape(g, h, -1)
        bias = (layer.b_ih + layer.b_hh).reshape(g, h)
        b_hn = None
        if cfg.cell == "gru":
            bias[2] = layer.b_ih[2 * h:]
            b_hn = wf.quantize(layer.b_hh[2 * h:])
        ghost = {} if layer.w_gh is None else {"w_gh": wf.quantize(layer.w_gh),
                                               "b_gh": wf.quantize(layer.b_gh)}
        out.append(QuantLayer(wf.quantize(rows), wf.quantize(bias), b_hn, **ghost))
    return tuple(out)


def weight_load_list(cfg: EpurConfig, qparams) -> list[tuple[int, int]]:
    """(address, value) words for the weight load port, weights then biases, layer by layer."""
    words = []
    for k, q in enumerate(qparams):
        for gate in range(cfg.gates):
            for row in range(cfg.intrinsic_size):
                for col, value in enumerate(q.w[gate, row]):
                    words.append((cfg.weight_address(0, k, gate, row, col), int(value)))
                words.append((cfg.weight_address(1, k, gate, row), int(q.b[gate, row])))
                if q.b_hn is not None and gate == 2:
                    words.append((cfg.weight_address(2, k, gate, row), int(q.b_hn[row])))
        if q.w_gh is not None:
            for row, values in enumerate(q.w_gh):
                words += [(cfg.weight_address(GHOST, k, GHOST_W, row, col), int(value))
                          for col, value in enumerate(values)]
                words.append((cfg.weight_address(GHOST, k, GHOST_B, row), int(q.b_gh[row])))
    return words
