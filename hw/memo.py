"""Memo buffer: per (layer, neuron) of one gate, the cached output y_m, yb_m, valid, reuse count.

``y_m`` doubles as the gate output buffer: a reused neuron's output is already there, a computed
one is written by the MU, and the cell-update unit reads every output from it.

Valid bits: one per layer, not one per entry. Every layer step with memoization on decides every
neuron of the layer in order and writes each one's entry (computed or reused), and in the first
step of a sequence nothing is valid, so every neuron is computed: an entry is valid exactly when
its layer has finished a step since the sequence started. One bit per layer, set by the step's
last update, holds that; a per-entry vector would need an H-way multiplexer and H write enables
per layer (docs/synthesis.md, "The memo hardware's cost").

Ports
    ``clear`` (in): every valid bit is 0 from the next cycle on.
    ``lookup_addr`` (in) -> ``yb_m``, ``reuse_count`` (out) one cycle later (synchronous read).
    ``layer`` (in) -> ``valid`` (out), combinational: the entries of ``layer`` are valid.
    ``update`` (in, always ready): ``addr``, ``yb_m``, ``reuse_count``, ``last``: written at
    the end of the cycle; ``last`` (the step's last neuron) sets the valid bit of ``layer``.
    ``y_write`` (in, always ready): ``addr``, ``y``, ``y_h`` (``y_h``: GRU ``n`` pair only).
    ``y_addr`` (in) -> ``y``, ``y_h`` (out) one cycle later (synchronous read).
Entries are addressed ``layer * H + neuron``.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.arith import index


class MemoBuffer(wiring.Component):
    def __init__(self, cfg, pair: bool = False):
        self.cfg = cfg
        self.pair = pair
        self.entries = cfg.layers * cfg.intrinsic_size
        addr = index(self.entries)
        yb, count = signed(cfg.yb_width), unsigned(cfg.reuse_count_width)
        dshape = signed(cfg.data_format.width)
        super().__init__({
            "clear": In(1),
            "lookup_addr": In(addr), "yb_m": Out(yb), "reuse_count": Out(count),
            "layer": In(index(cfg.layers)), "valid": Out(1),
            "update": In(stream.Signature(data.StructLayout({
                "addr": addr, "yb_m": yb, "reuse_count": count, "last": 1}),
                always_ready=True)),
            "y_write": In(stream.Signature(data.StructLayout({
                "addr": addr, "y": dshape, "y_h": dshape}), always_ready=True)),
            "y_addr": In(addr), "y": Out(dshape), "y_h": Out(dshape),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        ybw, cw, dw = cfg.yb_width, cfg.reuse_count_width if cfg.reuse_cap else 0, \
            cfg.data_format.width

        valid = Signal(cfg.layers)
        with m.If(self.clear):
            m.d.sync += valid.eq(0)
        with m.Elif(self.update.valid & self.update.p.last):
            m.d.sync += valid.bit_select(self.layer, 1).eq(1)
        m.d.comb += self.valid.eq(valid.bit_select(self.layer, 1))

        # yb_m and (with a reuse cap) the consecutive-reuse count
        m.submodules.entry = entry = Memory(shape=unsigned(ybw + cw), depth=self.entries,
                                            init=[])
        write, read = entry.write_port(), entry.read_port()
        m.d.comb += [
            write.addr.eq(self.update.p.addr), write.en.eq(self.update.valid),
            write.data.eq(Cat(self.update.p.yb_m, self.update.p.reuse_count[:cw])),
            read.addr.eq(self.lookup_addr),
            self.yb_m.eq(read.data[:ybw].as_signed()),
        ]
        if cw:
            m.d.comb += self.reuse_count.eq(read.data[ybw:])

        # y_m: the gate output buffer
        width = 2 * dw if self.pair else dw
        m.submodules.y_m = ymem = Memory(shape=unsigned(width), depth=self.entries, init=[])
        ywrite, yread = ymem.write_port(), ymem.read_port()
        m.d.comb += [
            ywrite.addr.eq(self.y_write.p.addr), ywrite.en.eq(self.y_write.valid),
            ywrite.data.eq(Cat(self.y_write.p.y, self.y_write.p.y_h) if self.pair
                           else self.y_write.p.y),
            yread.addr.eq(self.y_addr),
            self.y.eq(yread.data[:dw].as_signed()),
        ]
        if self.pair:
            m.d.comb += self.y_h.eq(yread.data[dw:].as_signed())
        return m
