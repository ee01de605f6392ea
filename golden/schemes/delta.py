"""Scheme ``delta``: delta networks on the layer input, as the delta build computes them.

Per layer, the delta encoder keeps the inputs it last propagated, ``v_hat`` (zero at a sequence
start). Element k of ``v = [x, h]`` is propagated when ``|v_k - v_hat_k| > threshold``, the
threshold being ``theta`` for the x elements (k < X_l) and ``theta_h`` for the h elements
(EdgeDRNN's thx and thh), both compared as the hardware does, in integers:
``|v_k - v_hat_k| << theta_frac > theta_int << data_frac``. A propagated element sends
``delta_k = v_k - v_hat_k`` and sets ``v_hat_k = v_k``; the others send nothing.

The hardware's pre-activation memory holds, per gate neuron j, ``M_j`` (and for the GRU n gate
the x and h sums apart) and adds ``W[j, k] * delta_k`` for every propagated k, in the order the
encoder sends them; the MU then reads ``M_j`` as the DPU's accumulator (bias, requantize,
activation). Its width is ``cfg.acc_width`` and it never saturates or wraps: after each addition
``M_j = sum_k W[j, k] * v_hat_k`` exactly (the sum telescopes), with every ``v_hat_k`` in the data
format, so ``|M_j| <= (X_l + H) * 2**(Ww-1) * 2**(Wd-1)``, below ``acc_width``'s bound
``(X_max + H + 1) * 2**(Ww-1) * 2**(Wd-1)``. The golden model therefore takes ``W . v_hat`` once
per step, which equals the hardware's sum of products in any order (tests/golden/schemes/
test_delta.py checks the telescoped sum at the extremes of the formats).

Every neuron is computed (no memo entry, ``reuse`` 0); the columns not propagated are skipped
MACs; the step is timed by the delta build's schedule (golden/cycles.py ``delta_step_cycles``).
(The propagated inputs of a sequence past its length move on too; its state is frozen and its
counts stopped, so that changes nothing.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden import cycles
from golden.schemes.base import Scheme


@dataclass
class Propagated:
    """The inputs of one layer as last propagated, ``v_hat`` (batch, X_l + H), and which of them
    the last step propagated."""

    layer: int
    v: np.ndarray
    changed: np.ndarray


def thresholds(cfg, layer: int) -> np.ndarray:
    """Each element's threshold in the data format's units scaled by ``2**theta_frac``:
    ``theta_int << data_frac`` for x, ``theta_h_int << data_frac`` for h (X_l + H,)."""
    xl, df = cfg.layer_input_size(layer), cfg.data_format.frac
    out = np.full(cfg.row_length(layer), cfg.theta_h_int << df, dtype=np.int64)
    out[:xl] = cfg.theta_int << df
    return out


def encode(cfg, layer: int, v, v_hat):
    """The delta encoder on a batch: ``(changed, delta)``, both (batch, X_l + H)."""
    diff = np.asarray(v, dtype=np.int64) - v_hat
    changed = (np.abs(diff) << cfg.theta_format.frac) > thresholds(cfg, layer)
    return changed, np.where(changed, diff, 0)


class DeltaInputs(Scheme):
    name = "delta"

    def layer_state(self, layer: int, batch: int) -> Propagated:
        row = self.cfg.row_length(layer)
        return Propagated(layer, np.zeros((batch, row), dtype=np.int64),
                          np.zeros((batch, row), dtype=bool))

    def layer_input(self, state: Propagated, v):
        state.changed, delta = encode(self.cfg, state.layer, v, state.v)
        state.v = state.v + delta
        return state.v, state.changed.sum(axis=1)

    def decide(self, state: Propagated, step):
        step.changed = state.changed
        return super().decide(state, step)

    def cycles(self, step):
        return cycles.delta_step_cycles(self.cfg, step.layer, step.changed)
