"""Dynamic precision (issue 13): the low-precision words and the tracker that picks each step's
precision, per layer and sequence (docs/architecture.md, "Dynamic precision").

A low-precision layer step multiplies 8-bit words (``core.config.LOW_BITS``):

- a weight ``w`` (weight-format integer) becomes ``w_lo = clip((w + 2**(sw-1)) >> sw, -128, 127)``,
  its upper 8 bits rounded half up (sw = ``cfg.low_weight_shift``, 8 for 16-bit weights);
- an input element ``v`` of ``[x, h]`` (data-format integer) becomes
  ``v_lo = clip((v + 2**(sv-1)) >> sv, -128, 127)`` (sv = ``cfg.low_data_shift``; sv = 0: the
  word saturated to 8 bits);

and the DPU's accumulator takes ``(sum_k w_lo[k] * v_lo[k]) << (sw + sv)``, the full step's
scale, so bias, MU, cell unit and memo are those of a full step (golden/cu.py).

The tracker follows the layer's tracked state s (the LSTM's c, the GRU's h) and decides, after
each step t of a sequence, the precision of its next step: ``low`` iff every neuron moved by at
most ``cfg.precision_theta_int``, ``max_j |s_t[j] - s_{t-1}[j]| <= theta``, with ``s_{-1} = 0``;
a fresh sequence starts at full precision. ``precision = "static"`` keeps every step high,
``"low"`` every step low.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.config import LOW_BITS

LOW_MIN, LOW_MAX = -(1 << (LOW_BITS - 1)), (1 << (LOW_BITS - 1)) - 1


def _round_to_low(a, shift: int) -> np.ndarray:
    a = np.asarray(a, dtype=np.int64)
    if shift > 0:
        a = (a + (1 << (shift - 1))) >> shift
    return np.clip(a, LOW_MIN, LOW_MAX)


def low_weights(cfg, w) -> np.ndarray:
    """Weight-format integers -> low-precision weights: upper 8 bits, rounded half up,
    saturated (int64, same shape)."""
    return _round_to_low(w, cfg.low_weight_shift)


def low_data(cfg, v) -> np.ndarray:
    """Data-format integers -> low-precision data words Q(8, low_data_frac): rounded half up,
    saturated (int64, same shape)."""
    return _round_to_low(v, cfg.low_data_shift)


def low_scale(cfg) -> int:
    """The left shift that brings a low-precision dot product to the accumulator's scale."""
    return cfg.low_weight_shift + cfg.low_data_shift


@dataclass
class Tracker:
    """The precision tracker of one layer for a batch of sequences.

    ``state`` (batch, H): the tracked state after the sequence's last step (0 at its start);
    ``low`` (batch,) bool: the precision of the sequence's next step of this layer."""

    mode: str
    theta: int
    state: np.ndarray
    low: np.ndarray

    @classmethod
    def fresh(cls, cfg, batch: int) -> Tracker:
        """A tracker for ``batch`` sequences at their start."""
        t = cls(cfg.precision, cfg.precision_theta_int,
                np.zeros((batch, cfg.hidden_size), dtype=np.int64), np.zeros(batch, dtype=bool))
        t.reset()
        return t

    def reset(self, which=None) -> None:
        """Start the sequences ``which`` (a (batch,) bool mask; None: all) afresh: tracked state
        0, next step high (every step low in mode ``low``)."""
        which = np.ones(self.low.shape, dtype=bool) if which is None else np.asarray(which, bool)
        self.state = np.where(which[:, None], 0, self.state)
        self.low = np.where(which, self.mode == "low", self.low)

    def precision(self) -> np.ndarray:
        """(batch,) bool: True where this step of the layer runs at low precision."""
        return self.low.copy()

    def update(self, state, active) -> None:
        """After the layer's step: ``state`` (batch, H) the new tracked state; only the
        ``active`` sequences (batch,) change."""
        state = np.asarray(state, dtype=np.int64)
        active = np.asarray(active, dtype=bool)
        if self.mode == "dynamic":
            stable = np.abs(state - self.state).max(axis=1, initial=0) <= self.theta
            self.low = np.where(active, stable, self.low)
        self.state = np.where(active[:, None], state, self.state)


def tracked_state(cfg, cell_step) -> np.ndarray:
    """What the tracker follows in a cell step (golden/cell.py): the LSTM's c, the GRU's h."""
    return cell_step.c if cfg.cell == "lstm" else cell_step.h
