"""Golden compute units: one layer step of every gate at once, as hw/cu.py computes each gate.

A step takes the layer's input vector ``v = [x, h]`` and, through the reuse scheme
(golden/schemes/), yields the gate outputs the cell-update unit uses: the scheme may change the
inputs the DPU reads (delta), the DPU (golden/dpu.py) takes the exact dot products, the MU
(golden/mu.py) adds the bias, requantizes and looks up the activation, the scheme decides which
neurons reuse their memo entry, and the scheme's state is updated for the next step.

A sequence whose step runs at low precision (golden/precision.py, chosen by the tracker) takes
its dot products from the low-precision weight rows and input words, shifted back to the full
step's accumulator scale; everything after the DPU is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.activation import activate
from golden.dpu import Rows
from golden.mu import preactivation, preactivation_clips
from golden.params import QuantLayer
from golden.precision import LOW_MAX, low_data, low_scale, low_weights


@dataclass(frozen=True)
class LayerWeights:
    """One layer's parameters as the compute units hold them; the rows split ``[w_ih | w_hh]``
    because the GRU n gate needs the two dot products apart."""

    x_rows: Rows                  # (gates * H, X_l)
    h_rows: Rows                  # (gates * H, H)
    bias: np.ndarray              # (gates, H)
    b_hn: np.ndarray | None       # (H,) GRU only
    x_rows_low: Rows | None = None    # the same rows at low precision (precision builds)
    h_rows_low: Rows | None = None

    @classmethod
    def of(cls, cfg, layer: int, q: QuantLayer) -> LayerWeights:
        rows = q.w.reshape(cfg.gates * cfg.intrinsic_size, -1)
        xl, bound = cfg.layer_input_size(layer), -cfg.data_format.min_int
        low = {}
        if cfg.precision != "static":
            lo = low_weights(cfg, rows)
            low = {"x_rows_low": Rows(lo[:, :xl], LOW_MAX + 1),
                   "h_rows_low": Rows(lo[:, xl:], LOW_MAX + 1)}
        return cls(Rows(rows[:, :xl], bound), Rows(rows[:, xl:], bound), q.b, q.b_hn, **low)

    def accumulators(self, cfg, v, low=None) -> tuple[np.ndarray, np.ndarray]:
        """The DPU's accumulators of every gate neuron, ``(acc_x, acc_h)`` (batch, gates * H):
        the dot products of the x and the h columns; where ``low`` (batch,) is True, at low
        precision: ``(sum w_lo * v_lo) << (sw + sv)``."""
        xl = self.x_rows.shape[1]
        if low is None or not np.any(low):
            return self.x_rows.matvec(v[:, :xl]), self.h_rows.matvec(v[:, xl:])
        low = np.asarray(low, dtype=bool)
        acc_x = np.empty((v.shape[0], self.x_rows.shape[0]), dtype=np.int64)
        acc_h = np.empty_like(acc_x)
        high = ~low
        if high.any():
            acc_x[high] = self.x_rows.matvec(v[high, :xl])
            acc_h[high] = self.h_rows.matvec(v[high, xl:])
        v_lo, shift = low_data(cfg, v[low]), low_scale(cfg)
        acc_x[low] = self.x_rows_low.matvec(v_lo[:, :xl]) << shift
        acc_h[low] = self.h_rows_low.matvec(v_lo[:, xl:]) << shift
        return acc_x, acc_h


@dataclass
class LayerStep:
    """One layer step of all the gates of a batch; the scheme reads it and fills its parts."""

    layer: int
    v: np.ndarray                 # (batch, X_l + H) inputs the DPU (and BNN) read
    columns: np.ndarray           # (batch,) of them, the ones each neuron's DPU pass reads
    y: np.ndarray                 # (batch, gates, H) gate outputs computed by DPU and MU
    y2: np.ndarray | None         # (batch, H) the GRU n gate's a_h; None for the LSTM
    yb: np.ndarray | None = None  # (batch, gates, H) BNN outputs, when the scheme has a BNN
    reuse: np.ndarray | None = None   # (batch, gates, H) True where the memo entry is used
    out: np.ndarray | None = None     # (batch, gates, H) the outputs the cell unit uses
    out2: np.ndarray | None = None    # (batch, H) the same for y2
    sat_pre: np.ndarray | None = None  # (batch, gates, H) the MU's narrowings that clipped
    changed: np.ndarray | None = None  # (batch, X_l + H) delta: the elements propagated
    low: np.ndarray | None = None      # (batch,) True where the step ran at low precision


def gate_outputs(cfg, acc_x, acc_h, bias, b_hn):
    """MU of every gate: accumulators (batch, gates, H) -> outputs y, for the GRU a_h, and the
    number of the MU's narrowings that saturated (batch, gates, H).

    LSTM gates and GRU r, z: ``act(rq(acc_x + acc_h + bias))``, tanh for LSTM g, else sigmoid;
    GRU n (the last gate): the pair ``a_x = rq(acc_x + b_in)`` (as y) and
    ``a_h = rq(acc_h + b_hn)`` (returned apart), which the cell-update unit combines; each of
    the two may saturate."""
    pair = cfg.cell == "gru"
    activated = cfg.gates - pair
    acc = acc_x[:, :activated] + acc_h[:, :activated]
    pre = preactivation(acc, bias[:activated], cfg)
    sat = np.zeros(acc_x.shape, dtype=np.int64)
    sat[:, :activated] = preactivation_clips(acc, bias[:activated], cfg)
    y = np.empty_like(acc_x)
    for g in range(activated):
        y[:, g] = activate(cfg.gate_function(g), pre[:, g], cfg)
    if not pair:
        return y, None, sat
    y[:, -1] = preactivation(acc_x[:, -1], bias[-1], cfg)
    sat[:, -1] = (preactivation_clips(acc_x[:, -1], bias[-1], cfg).astype(np.int64)
                  + preactivation_clips(acc_h[:, -1], b_hn, cfg))
    return y, preactivation(acc_h[:, -1], b_hn, cfg), sat


def step(cfg, scheme, state, weights: LayerWeights, layer: int, v, active,
         low=None) -> LayerStep:
    """One layer step of every compute unit for the sequences of a batch.

    ``v`` (batch, X_l + H): the layer's input vector; ``active`` (batch,): sequences still
    running (the others' scheme state is left as it is); ``low`` (batch,): sequences whose step
    runs at low precision (None: none). Returns the step, filled."""
    v, columns = scheme.layer_input(state, v)
    shape = (v.shape[0], cfg.gates, cfg.intrinsic_size)
    acc_x, acc_h = weights.accumulators(cfg, v, low)
    y, y2, sat_pre = gate_outputs(cfg, acc_x.reshape(shape), acc_h.reshape(shape),
                                  weights.bias, weights.b_hn)
    s = LayerStep(layer, v, columns, y, y2, sat_pre=sat_pre,
                  low=None if low is None else np.asarray(low, dtype=bool))
    s.reuse = scheme.decide(state, s)
    s.out, s.out2 = scheme.outputs(state, s)
    scheme.update(state, s, active)
    return s
