"""Scheme ``bnn``: fuzzy memoization predicted by the BNN unit (the hardware's memo build).

Each neuron's BNN output ``yb`` (golden/bnn.py) is compared with the memo entry's ``yb_m`` by the
comparator (golden/comparator.py: threshold, valid bit, reuse cap); a computed neuron stores its
``yb`` in the entry.
"""

from __future__ import annotations

from golden.bnn import BinaryRows, sign_bits
from golden.comparator import reuse
from golden.memo import Memo
from golden.schemes.base import MemoScheme


class BnnMemo(MemoScheme):
    name = "bnn"

    def __init__(self, cfg, layers):
        super().__init__(cfg, layers)
        self.rows = [BinaryRows(sign_bits(q.w.reshape(cfg.gates * cfg.intrinsic_size, -1)))
                     for q in layers]

    def decide(self, state: Memo, step):
        cfg = self.cfg
        step.yb = self.rows[step.layer].yb(sign_bits(step.v)).reshape(step.y.shape)
        return reuse(step.yb, state.yb_m, state.valid, state.reuse_count, cfg.theta_int,
                     cfg.theta_format.frac, cfg.mode, cfg.reuse_cap)
