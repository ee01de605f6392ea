"""Golden memo buffer: the memo entries of one layer, one per (sequence, gate, neuron).

As hw/memo.py holds them: ``y_m`` the memoized gate output (it doubles as the output buffer),
``y2_m`` the GRU ``n`` gate's second value ``a_h`` (hw/memo.py's ``y_h``), ``yb_m`` the BNN output
of the last computation, ``valid`` and ``reuse_count`` (consecutive reuses since that
computation). Every sequence starts with no valid entry.

``valid`` is one flag per sequence and layer, as the hardware keeps it (one bit per layer): a
step decides every neuron and writes every entry, and the first step of a sequence computes
every neuron, so after a sequence's first step of the layer all its entries are valid. The
array keeps the entries' shape (the flag repeated over gates and neurons) so that a scheme's
test reads one value per entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Memo:
    """Memo entries of one layer: (batch, gates, H) each; ``y2_m`` is (batch, H)."""

    y_m: np.ndarray
    y2_m: np.ndarray
    yb_m: np.ndarray
    valid: np.ndarray
    reuse_count: np.ndarray

    @classmethod
    def empty(cls, batch: int, gates: int, hidden: int) -> Memo:
        zeros = np.zeros((batch, gates, hidden), dtype=np.int64)
        return cls(zeros.copy(), np.zeros((batch, hidden), dtype=np.int64), zeros.copy(),
                   np.zeros((batch, gates, hidden), dtype=bool), zeros.copy())

    def recall(self, reuse, y, y2):
        """The gate outputs a step uses: the entry where reused, the computed value elsewhere.

        ``y2`` (the GRU ``n`` gate's a_h, (batch, H)) is None for the LSTM."""
        out2 = None if y2 is None else np.where(reuse[:, -1], self.y2_m, y2)
        return np.where(reuse, self.y_m, y), out2

    def update(self, reuse, active, y, y2=None, yb=None) -> None:
        """After a step: computed entries of active sequences take ``y`` (``y2``, ``yb``: None
        keeps the entry) and restart their count, reused ones count one more; every entry of
        an active sequence is valid from now on."""
        active = np.asarray(active, dtype=bool)[:, None, None]
        written = ~reuse & active
        self.y_m = np.where(written, y, self.y_m)
        if y2 is not None:
            self.y2_m = np.where(written[:, -1], y2, self.y2_m)
        if yb is not None:
            self.yb_m = np.where(written, yb, self.yb_m)
        self.valid |= active
        self.reuse_count = np.where(written, 0, self.reuse_count + (reuse & active))
