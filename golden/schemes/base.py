"""The interface of a reuse scheme, and the base of the schemes that keep memo entries.

The time loop (golden/controller.py) makes one scheme object per run, asks it for each layer's
state, and the compute units (golden/cu.py) call, for every layer step:

``layer_input(state, v) -> (v, columns)``
    the inputs the DPU reads and how many of them (batch,) it reads per neuron;
``decide(state, step) -> reuse``
    (batch, gates, H) True where the neuron reuses its memo entry instead of being computed;
``outputs(state, step) -> (out, out2)``
    the gate outputs the cell-update unit uses;
``update(state, step, active)``
    the state after the step, changed only for the active sequences;

and the time loop counts, per sequence, ``macs_skipped(step)`` and ``cycles(step)``.
The defaults are those of the baseline: every neuron computed from the whole row.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from golden import cycles
from golden.memo import Memo


class Scheme:
    """A reuse scheme of the accelerator; ``name`` is the ``predictor`` that selects it."""

    name: ClassVar[str] = ""
    # the build whose schedule times a step (golden/cycles.py); None: the run's own config
    timed_as: ClassVar[str | None] = None

    def __init__(self, cfg, layers):
        """``layers``: the quantized layers (golden/params.py) of the run."""
        self.cfg = cfg
        self.schedule = cfg if self.timed_as is None else dataclasses.replace(
            cfg, predictor=self.timed_as)

    def layer_state(self, layer: int, batch: int):
        """A fresh state of one layer for a batch of sequences at their start."""
        return None

    def layer_input(self, state, v):
        return v, np.full(v.shape[0], v.shape[1], dtype=np.int64)

    def decide(self, state, step) -> np.ndarray:
        return np.zeros((step.v.shape[0], self.cfg.gates, self.cfg.intrinsic_size), dtype=bool)

    def outputs(self, state, step):
        return step.y, step.y2

    def update(self, state, step, active) -> None:
        pass

    def macs_skipped(self, step) -> np.ndarray:
        """MACs of the baseline not done: each reused neuron's row, each unread column."""
        row = self.cfg.row_length(step.layer)
        neurons = self.cfg.gates * self.cfg.intrinsic_size
        return step.reuse.sum(axis=(1, 2)) * row + neurons * (row - step.columns)

    def cycles(self, step) -> np.ndarray:
        return cycles.layer_step_cycles(self.schedule, step.layer, ~step.reuse, step.low)


class MemoScheme(Scheme):
    """Fuzzy memoization: per layer, memo entries (golden/memo.py); a reused neuron's output is
    its entry's, and computed neurons of active sequences refresh their entries. The step is
    timed as the BNN's memo hardware. A subclass decides the reuse and may set ``step.yb``."""

    timed_as = "bnn"

    def layer_state(self, layer: int, batch: int) -> Memo:
        return Memo.empty(batch, self.cfg.gates, self.cfg.intrinsic_size)

    def outputs(self, state: Memo, step):
        return state.recall(step.reuse, step.y, step.y2)

    def update(self, state: Memo, step, active) -> None:
        state.update(step.reuse, active, step.y, step.y2, step.yb)
