"""Dot-product unit (DPU): N signed multipliers, an adder tree and an accumulator.

Ports
    ``i`` (in, always ready): one chunk of N lanes per cycle: ``w`` weights, ``v`` inputs,
    ``first`` (the chunk starts a new dot product), ``last`` (it ends one), ``xmask`` (split
    DPU only: lanes whose column belongs to ``x``, i.e. column < X_l).
    ``o`` (out, always ready): ``acc`` (and, split, ``acc_h``) valid for one cycle.
Behaviour
    ``acc = sum of w*v`` over the chunks from ``first`` to ``last``, exact (``cfg.acc_width``).
    Split (the GRU ``n`` gate): ``acc`` sums the x lanes and ``acc_h`` the others, two trees.
Latency 2 (products registered, then tree + accumulator): ``o.valid`` two cycles after the
``last`` chunk. Throughput one chunk per cycle; no back-pressure (the DPU never stalls).
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.arith import tree_sum


class DotProductUnit(wiring.Component):
    def __init__(self, cfg, split: bool = False):
        self.cfg = cfg
        self.split = split
        n, acc = cfg.lanes, signed(cfg.acc_width)
        wshape, vshape = signed(cfg.weight_format.width), signed(cfg.data_format.width)
        super().__init__({
            "i": In(stream.Signature(data.StructLayout({
                "w": data.ArrayLayout(wshape, n), "v": data.ArrayLayout(vshape, n),
                "first": 1, "last": 1, "xmask": n}), always_ready=True)),
            "o": Out(stream.Signature(data.StructLayout({"acc": acc, "acc_h": acc}),
                                      always_ready=True)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, n = self.cfg, self.cfg.lanes
        pwidth = cfg.weight_format.width + cfg.data_format.width
        products = [Signal(signed(pwidth), name=f"product{k}") for k in range(n)]
        valid, first, last = Signal(), Signal(), Signal()
        xmask = Signal(n)
        m.d.sync += [p.eq(self.i.p.w[k] * self.i.p.v[k]) for k, p in enumerate(products)]
        m.d.sync += [valid.eq(self.i.valid), first.eq(self.i.p.first),
                     last.eq(self.i.p.last), xmask.eq(self.i.p.xmask)]

        acc = Signal(signed(cfg.acc_width))
        acc_h = Signal(signed(cfg.acc_width))
        if self.split:
            sum_x = tree_sum(Mux(xmask[k], p, 0) for k, p in enumerate(products))
            sum_h = tree_sum(Mux(xmask[k], 0, p) for k, p in enumerate(products))
        else:
            sum_x, sum_h = tree_sum(products), 0
        with m.If(valid):
            m.d.sync += acc.eq(Mux(first, 0, acc) + sum_x)
            if self.split:
                m.d.sync += acc_h.eq(Mux(first, 0, acc_h) + sum_h)
        m.d.sync += self.o.valid.eq(valid & last)
        m.d.comb += [self.o.p.acc.eq(acc), self.o.p.acc_h.eq(acc_h)]
        return m
