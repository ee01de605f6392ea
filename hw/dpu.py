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
precision"): ``low`` (in the payload) makes the chunk 2N low-precision columns (8-bit words,
golden/precision.py): ``w_low`` the 2N low weights, and ``v[k]`` two low data words, column k
in bits 0..7 and column N + k in bits 8..15. Each lane's multiplier is split
(``hw.arith.split_mul``): in a full chunk the 16x16 product, in a low chunk the two 8x8
products of its columns, from the same partial-product array; one adder tree sums the lanes,
and a low chunk's sum is shifted to the full scale, sw + sv (``cfg.low_weight_shift +
cfg.low_data_shift``), before it is accumulated, exactly. Split: ``xmask`` tells the x lanes of
the first N columns, ``xmask_low`` of the last N.
Latency 2 (products registered, then tree + accumulator): ``o.valid`` two cycles after the
``last`` chunk. Throughput one chunk per cycle; no back-pressure (the DPU never stalls).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from core.config import LOW_BITS
from hw.arith import split_mul, tree_sum


class DotProductUnit(wiring.Component):
    def __init__(self, cfg, split: bool = False):
        self.cfg = cfg
        self.split = split
        n, acc = cfg.lanes, signed(cfg.acc_width)
        wshape, vshape = signed(cfg.weight_format.width), signed(cfg.data_format.width)
        self.low = cfg.precision != "static"
        low_words = data.ArrayLayout(signed(LOW_BITS), 2 * n)
        low_fields = {"low": 1, "w_low": low_words, "xmask_low": n} if self.low else {}
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
        """Split multipliers and the sums of both modes, a low chunk's shifted to the full
        scale. Lane k's weight operand in a low chunk is its two low weights (column N + k in
        the low half, column k in the high one), so that ``split_mul``'s ``first`` is column k's
        product and ``second`` column N + k's (each shifted left by 8)."""
        cfg, n, p = self.cfg, self.cfg.lanes, self.i.p
        low = Signal()
        xmask_low = Signal(n)
        m.d.sync += low.eq(p.low)
        pwidth = len(products[0])
        parts = []
        for k in range(n):
            w = Mux(p.low, Cat(p.w_low[n + k], p.w_low[k]), p.w[k])
            first, second = split_mul(w, p.v[k], p.low, LOW_BITS)
            if self.split:     # the two columns of a low lane may be x and h: summed apart
                pair = [Signal(signed(pwidth), name=f"product{k}_{h}") for h in "ab"]
                m.d.sync += [pair[0].eq(first), pair[1].eq(second)]
                parts.append(pair)
            else:
                m.d.sync += products[k].eq(first + second)
        shift = cfg.low_weight_shift + cfg.low_data_shift - LOW_BITS   # products are << 8

        def scaled(total):     # exact either way: a low sum's 8 lowest bits are 0
            return Mux(low, total << shift if shift >= 0 else total >> -shift, total)
        if not self.split:
            return scaled(tree_sum(products)), 0
        m.d.sync += xmask_low.eq(Mux(p.low, p.xmask_low, p.xmask))
        terms = [(a, xmask[k]) for k, (a, _) in enumerate(parts)]
        terms += [(b, xmask_low[k]) for k, (_, b) in enumerate(parts)]
        return (scaled(tree_sum(Mux(x, t, 0) for t, x in terms)),
                scaled(tree_sum(Mux(x, 0, t) for t, x in terms)))
