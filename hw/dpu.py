"""Dot-product unit (DPU): N signed multipliers, an adder tree and an accumulator.

Ports
    ``i`` (in, always ready): one chunk of N lanes per cycle: ``w`` weights, ``v`` inputs,
    ``first`` (the chunk starts a new dot product), ``last`` (it ends one), ``xmask`` (split
    DPU only: lanes whose column belongs to ``x``, i.e. column < X_l).
    ``o`` (out, always ready): ``acc`` (and, split, ``acc_h``) valid for one cycle.
Behaviour
    ``acc = sum of w*v`` over the chunks from ``first`` to ``last``, exact (``cfg.acc_width``).
    Split (the GRU ``n`` gate): ``acc`` sums the x lanes and ``acc_h`` the others, two trees.
Low mode (precision builds, ``cfg.precision != "static"``; docs/architecture.md, "Dynamic
precision"): ``low`` (in the payload) makes the chunk 2N low-precision columns, ``w_low`` and
``v_low`` (8-bit words, golden/precision.py): lane k multiplies column k on its 16x16 multiplier
(operands sign-extended) and column N + k on one of N extra 8x8 multipliers; the chunk's sum
of the 2N products is shifted left by sw + sv (``cfg.low_weight_shift + cfg.low_data_shift``)
before it is accumulated, exactly. Split: ``xmask`` tells the x lanes of the first N columns,
``xmask_low`` of the last N.
Latency 2 (products registered, then tree + accumulator): ``o.valid`` two cycles after the
``last`` chunk. Throughput one chunk per cycle; no back-pressure (the DPU never stalls).
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from core.config import LOW_BITS
from hw.arith import tree_sum


class DotProductUnit(wiring.Component):
    def __init__(self, cfg, split: bool = False):
        self.cfg = cfg
        self.split = split
        n, acc = cfg.lanes, signed(cfg.acc_width)
        wshape, vshape = signed(cfg.weight_format.width), signed(cfg.data_format.width)
        self.low = cfg.precision != "static"
        low_words = data.ArrayLayout(signed(LOW_BITS), 2 * n)
        low_fields = {"low": 1, "w_low": low_words, "v_low": low_words,
                      "xmask_low": n} if self.low else {}
        super().__init__({
            "i": In(stream.Signature(data.StructLayout({
                "w": data.ArrayLayout(wshape, n), "v": data.ArrayLayout(vshape, n),
                "first": 1, "last": 1, "xmask": n, **low_fields}), always_ready=True)),
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
        if not self.low:
            m.d.sync += [p.eq(self.i.p.w[k] * self.i.p.v[k]) for k, p in enumerate(products)]
        m.d.sync += [valid.eq(self.i.valid), first.eq(self.i.p.first),
                     last.eq(self.i.p.last), xmask.eq(self.i.p.xmask)]

        acc = Signal(signed(cfg.acc_width))
        acc_h = Signal(signed(cfg.acc_width))
        if self.low:
            sum_x, sum_h = self._low_mode(m, products, xmask)
        else:
            sum_x, sum_h = self._sums(products, xmask)
        with m.If(valid):
            m.d.sync += acc.eq(Mux(first, 0, acc) + sum_x)
            if self.split:
                m.d.sync += acc_h.eq(Mux(first, 0, acc_h) + sum_h)
        m.d.sync += self.o.valid.eq(valid & last)
        m.d.comb += [self.o.p.acc.eq(acc), self.o.p.acc_h.eq(acc_h)]
        return m

    def _sums(self, products, xmask):
        """The adder trees: (x lanes, h lanes) when split, else (every lane, 0)."""
        if self.split:
            return (tree_sum(Mux(xmask[k], p, 0) for k, p in enumerate(products)),
                    tree_sum(Mux(xmask[k], 0, p) for k, p in enumerate(products)))
        return tree_sum(products), 0

    def _low_mode(self, m, products, xmask):
        """Products of both modes and their sums, the low mode's shifted to the full scale."""
        cfg, n, p = self.cfg, self.cfg.lanes, self.i.p
        low = Signal()
        extra = [Signal(signed(2 * LOW_BITS), name=f"product_low{k}") for k in range(n)]
        xmask_low = Signal(n)
        m.d.sync += [low.eq(p.low), xmask_low.eq(p.xmask_low)]
        for k in range(n):
            m.d.sync += [products[k].eq(Mux(p.low, p.w_low[k], p.w[k])
                                        * Mux(p.low, p.v_low[k], p.v[k])),
                         extra[k].eq(p.w_low[n + k] * p.v_low[n + k])]
        full_x, full_h = self._sums(products, xmask)
        extra_x, extra_h = self._sums(extra, xmask_low)
        shift = cfg.low_weight_shift + cfg.low_data_shift
        sum_x = Mux(low, (full_x + extra_x) << shift, full_x)
        sum_h = Mux(low, (full_h + extra_h) << shift, full_h) if self.split else 0
        return sum_x, sum_h
