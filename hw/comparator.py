"""Comparator: the reuse test of fuzzy memoization (golden/comparator.py), with no divider.

Ports
    in  ``hold``, ``yb_m`` (signed ``cfg.yb_width``), ``reuse_count``
    (``cfg.reuse_count_width``): with ``hold`` high, the memo entry of the next decision is
    registered at the end of the cycle, and with it ``bound = theta * |yb_m|``;
    out ``held_yb_m``, ``held_count``: the registered entry (for the memo update).
    in  ``yb`` (signed), ``valid``, ``theta`` (the theta register, ``cfg.theta_format``; stable
    from ``hold`` to the decision), ``mode_abs`` (0 relative, 1 absolute);
    out ``reuse``: combinational from ``yb``, ``valid`` and the registered entry.
``reuse = valid & (d << Ft <= (mode_abs ? theta : bound)) & (count < cap)`` with
``d = |yb - yb_m|``; the cap term exists only when ``cfg.reuse_cap`` > 0 (a build parameter).
The entry is fetched while the BNN still counts (at least one cycle before ``yb`` is ready), so
the multiplier runs in that cycle and the decision's path is a subtract and a compare only.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


class Comparator(wiring.Component):
    def __init__(self, cfg):
        self.cfg = cfg
        yb, count = signed(cfg.yb_width), unsigned(cfg.reuse_count_width)
        super().__init__({
            "hold": In(1), "yb_m": In(yb), "reuse_count": In(count),
            "held_yb_m": Out(yb), "held_count": Out(count),
            "yb": In(yb), "valid": In(1),
            "theta": In(unsigned(cfg.theta_format.width)), "mode_abs": In(1),
            "reuse": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        bound = Signal(cfg.theta_format.width + cfg.yb_width)
        with m.If(self.hold):
            m.d.sync += [self.held_yb_m.eq(self.yb_m), self.held_count.eq(self.reuse_count),
                         bound.eq(self.theta * abs(self.yb_m))]
        distance = abs(self.yb - self.held_yb_m) << cfg.theta_format.frac
        ok = self.valid & (distance <= Mux(self.mode_abs, self.theta, bound))
        if cfg.reuse_cap:
            ok &= self.held_count < cfg.reuse_cap
        m.d.comb += self.reuse.eq(ok)
        return m
