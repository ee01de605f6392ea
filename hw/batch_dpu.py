"""Batched dot-product unit (E-BATCH; docs/architecture.md, "The batched build"): the N
multipliers and the adder tree of hw/dpu.py, with one accumulator per sequence slot.

Ports
    ``i`` (in, always ready): one chunk of N lanes per cycle: ``w`` weights, ``v`` inputs of
    slot ``slot``, ``first`` (the chunk starts that slot's dot product), ``last`` (it ends it),
    ``xmask`` (split DPU only: lanes whose column belongs to ``x``).
    ``o`` (out, always ready): ``slot`` and its ``acc`` (and, split, ``acc_h``), valid one cycle.
Behaviour
    Per slot, ``acc = sum of w*v`` over that slot's chunks from ``first`` to ``last``, exact
    (``cfg.acc_width``); the chunks of different slots may interleave in any order (the batched
    row sequencer, hw/batch_sequencer.py, gives a held weight word to each computing slot in
    turn). Split (the GRU ``n`` gate): ``acc`` sums the x lanes and ``acc_h`` the others.
Latency 2, as hw/dpu.py (products registered, then tree + the slot's accumulator): ``o.valid``
two cycles after a slot's ``last`` chunk. Throughput one chunk per cycle; no back-pressure.
Static precision only: a batched build has ``precision = "static"`` (core/config.py).
"""

from __future__ import annotations

from amaranth.hdl import Array, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.arith import index, tree_sum


class BatchDotProductUnit(wiring.Component):
    def __init__(self, cfg, split: bool = False):
        if cfg.precision != "static":
            raise ValueError("the batched DPU has no low-precision mode")
        self.cfg = cfg
        self.split = split
        n, acc = cfg.lanes, signed(cfg.acc_width)
        wshape, vshape = signed(cfg.weight_format.width), signed(cfg.data_format.width)
        slot = index(cfg.slots)
        super().__init__({
            "i": In(stream.Signature(data.StructLayout({
                "w": data.ArrayLayout(wshape, n), "v": data.ArrayLayout(vshape, n),
                "slot": slot, "first": 1, "last": 1, "xmask": n}), always_ready=True)),
            "o": Out(stream.Signature(data.StructLayout({"slot": slot, "acc": acc,
                                                         "acc_h": acc}), always_ready=True)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, n = self.cfg, self.cfg.lanes
        pwidth = cfg.weight_format.width + cfg.data_format.width
        products = [Signal(signed(pwidth), name=f"product{k}") for k in range(n)]
        valid, first, last = Signal(), Signal(), Signal()
        slot = Signal.like(self.i.p.slot)
        xmask = Signal(n)
        m.d.sync += [p.eq(self.i.p.w[k] * self.i.p.v[k]) for k, p in enumerate(products)]
        m.d.sync += [valid.eq(self.i.valid), first.eq(self.i.p.first), slot.eq(self.i.p.slot),
                     last.eq(self.i.p.last), xmask.eq(self.i.p.xmask)]
        if self.split:
            sums = (tree_sum(Mux(xmask[k], p, 0) for k, p in enumerate(products)),
                    tree_sum(Mux(xmask[k], 0, p) for k, p in enumerate(products)))
        else:
            sums = (tree_sum(products),)
        accs = [Array(Signal(signed(cfg.acc_width), name=f"{name}{s}")
                      for s in range(cfg.slots)) for name in ("acc", "acc_h")[:len(sums)]]
        with m.If(valid):
            for bank, total in zip(accs, sums, strict=True):
                m.d.sync += bank[slot].eq(Mux(first, 0, bank[slot]) + total)
        out_slot = Signal.like(slot)
        m.d.sync += [self.o.valid.eq(valid & last), out_slot.eq(slot)]
        m.d.comb += [self.o.p.slot.eq(out_slot), self.o.p.acc.eq(accs[0][out_slot])]
        if self.split:
            m.d.comb += self.o.p.acc_h.eq(accs[1][out_slot])
        return m
