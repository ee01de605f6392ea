"""Comparator: the reuse test of fuzzy memoization (golden/comparator.py), with no divider.

Ports (all combinational, latency 0)
    in  ``yb``, ``yb_m`` (signed ``cfg.yb_width``), ``valid``, ``reuse_count``
    (``cfg.reuse_count_width``), ``theta`` (the theta register, ``cfg.theta_format``),
    ``mode_abs`` (0 relative, 1 absolute);  out ``reuse``.
``reuse = valid & (d << Ft <= (mode_abs ? theta : theta * |yb_m|)) & (count < cap)`` with
``d = |yb - yb_m|``; the cap term exists only when ``cfg.reuse_cap`` > 0 (a build parameter).
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


class Comparator(wiring.Component):
    def __init__(self, cfg):
        self.cfg = cfg
        yb = signed(cfg.yb_width)
        super().__init__({
            "yb": In(yb), "yb_m": In(yb), "valid": In(1),
            "reuse_count": In(unsigned(cfg.reuse_count_width)),
            "theta": In(unsigned(cfg.theta_format.width)), "mode_abs": In(1),
            "reuse": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        distance = abs(self.yb - self.yb_m) << self.cfg.theta_format.frac
        bound = Mux(self.mode_abs, self.theta, self.theta * abs(self.yb_m))
        ok = self.valid & (distance <= bound)
        if self.cfg.reuse_cap:
            ok &= self.reuse_count < self.cfg.reuse_cap
        m.d.comb += self.reuse.eq(ok)
        return m
