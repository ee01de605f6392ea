"""Scheme ``mbnn``: fuzzy memoization predicted by a multi-bit shadow network (golden only).

As ``bnn``, with the shadow output ``yb`` of golden/shadow.py (k = ``cfg.shadow_bits`` bits of
sign and magnitude per weight and input) in place of the sign-only BNN's: the comparator, the memo
entries and the schedule are the memo build's (the shadow takes B products per cycle, like the
BNN unit's B XNORs). Software only for now: ``epur run`` and ``evaluate``.
"""

from __future__ import annotations

from golden.comparator import reuse
from golden.memo import Memo
from golden.schemes.base import MemoScheme
from golden.shadow import ShadowRows


class ShadowMemo(MemoScheme):
    name = "mbnn"

    def __init__(self, cfg, layers):
        super().__init__(cfg, layers)
        self.rows = [ShadowRows(cfg, q.w.reshape(cfg.gates * cfg.intrinsic_size, -1))
                     for q in layers]

    def decide(self, state: Memo, step):
        cfg = self.cfg
        step.yb = self.rows[step.layer].yb(step.v).reshape(step.y.shape)
        return reuse(step.yb, state.yb_m, state.valid, state.reuse_count, cfg.theta_int,
                     cfg.theta_format.frac, cfg.mode, cfg.reuse_cap)
