"""Scheme ``delta``: delta networks on the layer input (no memoization).

Per layer, the DPU keeps the inputs it last propagated. An input element is propagated (its
column read) when it differs from that value by more than theta (in the data format's units);
otherwise the old value stands in for it. Every neuron is computed, from the propagated vector;
the columns not read are skipped MACs, and each neuron's DPU pass lasts ceil(columns / N) cycles
instead of Kd. (The propagated inputs of a sequence past its length move on too; its state is
frozen and its counts stopped, so that changes nothing.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.schemes.base import Scheme


@dataclass
class Propagated:
    """The inputs of one layer as last propagated, (batch, X_l + H); zero at sequence start."""

    v: np.ndarray


class DeltaInputs(Scheme):
    name = "delta"

    def layer_state(self, layer: int, batch: int) -> Propagated:
        return Propagated(np.zeros((batch, self.cfg.row_length(layer)), dtype=np.int64))

    def layer_input(self, state: Propagated, v):
        cfg = self.cfg
        changed = (np.abs(v - state.v) << cfg.theta_format.frac) > (
            cfg.theta_int << cfg.data_format.frac)
        state.v = np.where(changed, v, state.v)
        return state.v, changed.sum(axis=1)

    def cycles(self, step):
        cfg, layer = self.cfg, step.layer
        dpu_pass = -(-step.columns // cfg.lanes)
        return super().cycles(step) + cfg.hidden_size * (dpu_pass - cfg.dpu_cycles(layer))
