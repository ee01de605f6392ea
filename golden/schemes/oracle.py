"""Scheme ``oracle``: fuzzy memoization that knows the new gate outputs (a software bound).

It reuses a neuron when its computed output ``y`` lies within theta of the memo entry's ``y_m``
(the GRU n gate: both values of its pair), with the comparator's valid bit and reuse cap. In
``absolute`` mode theta is in the data format's units (``theta_int << F``). It is timed as if it
were the BNN's memo hardware.
"""

from __future__ import annotations

from golden.comparator import reuse, within
from golden.memo import Memo
from golden.schemes.base import MemoScheme


class OracleMemo(MemoScheme):
    name = "oracle"

    def decide(self, state: Memo, step):
        cfg = self.cfg
        theta = cfg.theta_int
        if cfg.mode == "absolute":
            theta <<= cfg.data_format.frac
        test = (theta, cfg.theta_format.frac, cfg.mode)
        ok = reuse(step.y, state.y_m, state.valid, state.reuse_count, *test, cfg.reuse_cap)
        if step.y2 is not None:
            ok[:, -1] &= within(step.y2, state.y2_m, *test)
        return ok
