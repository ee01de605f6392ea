"""Golden ghost pass (GhostRNN, docs/architecture.md "Ghost states"): the cheap operation.

A ghost layer's cell computes I = H - G intrinsic states u_t; the ghost pass makes the other G,
``q_t = tanh(W_gh u_t + b_gh)``, and the layer's h_t is ``[u_t, q_t]`` (intrinsic first).
Fixed point (docs/formats.md, "Ghost states"): W_gh and b_gh are in the weight format, u_t in the
data format; ghost row j is the exact dot product of W_gh's row j with u_t, accumulated as a gate
row is (golden/dpu.py), then the MU of a tanh gate (golden/mu.py): bias added at the
accumulator's scale, one requantize to the data format (rounding and saturation as the gates'),
the tanh table. Its requantize counts as a ``pre`` saturation of the layer (the MU's).
Ghost rows are always computed: no predictor applies to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.activation import activate
from golden.dpu import Rows
from golden.mu import preactivation, preactivation_clips


@dataclass(frozen=True)
class GhostWeights:
    """One layer's cheap operation as the ghost unit holds it: rows (G, I) and biases (G,)."""

    rows: Rows
    bias: np.ndarray

    @classmethod
    def of(cls, cfg, w_gh, b_gh) -> GhostWeights:
        """From the quantized ``w_gh`` (G, I) and ``b_gh`` (G,) (golden/params.py)."""
        return cls(Rows(w_gh, -cfg.data_format.min_int), np.asarray(b_gh, dtype=np.int64))


def ghost_pass(cfg, weights: GhostWeights, u) -> tuple[np.ndarray, np.ndarray]:
    """``u`` (batch, I) intrinsic states (data-format integers) -> the ghost states ``q``
    (batch, G) and where their requantize saturated (batch, G) bool."""
    acc = weights.rows.matvec(np.asarray(u, dtype=np.int64))
    pre = preactivation(acc, weights.bias, cfg)
    return activate("tanh", pre, cfg), preactivation_clips(acc, weights.bias, cfg)


def ghost_macs(cfg) -> int:
    """Multiply-accumulates of one layer step's ghost pass: G * I (0 without ghost)."""
    return cfg.ghost_size * cfg.intrinsic_size
