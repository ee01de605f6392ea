"""Row sequencer of a compute unit: which neuron's which weight chunk is read each cycle.

Ports
    ``start`` (in): pulse that starts a layer step of ``layer`` (held during the step).
    ``row_addr`` (out): the weight row read this cycle (``hw.rows`` layout, the weight store's
    ``row_addr``); it stays inside the memory when nothing is read.
    ``o`` (out, always ready): ``neuron``, ``chunk``, ``first``, ``last`` of the chunk read this
    cycle (``valid``); its weights come out of the weight store one cycle later.
    ``queued`` builds only: ``in_order`` (in, 1: walk every neuron in order, ignoring the queue)
    and ``queue`` (in stream of neurons to compute, as the reuse scheme decides them).
Schedule (Kd = ``cfg.dpu_cycles(layer)``): in order, neuron j's first chunk is read at
``core.timing.LAT_DPU_START + j*Kd`` after ``start``; from the queue, a neuron is taken (``ready``)
in the cycle the previous neuron's last chunk is read, or any cycle nothing is read, and its first
chunk is read the cycle after. One chunk per cycle, no bubble between neurons; the chunks of a
neuron are never interrupted.
Precision builds (``cfg.precision != "static"``): ``low`` (in, held from ``start`` through the
step) makes the step read Kd_low = ``cfg.low_dpu_cycles(layer)`` chunks of 2N weights a neuron
instead of Kd chunks of N, with the same schedule; ``row_addr`` names a word of 2N weights (the
weight store's layout of those builds) and ``half`` (out, with it) the half a full chunk reads:
full chunk c is word c // 2, half c % 2; low chunk c is word c.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.arith import by_layer, index
from hw.rows import row_address, row_layout


def chunk_layout(cfg):
    kdmax = max(cfg.dpu_cycles(k) for k in range(cfg.layers))
    return data.StructLayout({"neuron": index(cfg.intrinsic_size), "chunk": index(kdmax),
                              "first": 1, "last": 1})


class RowSequencer(wiring.Component):
    def __init__(self, cfg, queued: bool = False):
        self.cfg = cfg
        self.queued = queued
        self.pairs = cfg.precision != "static"
        base, depth = row_layout(cfg, self.words)
        ports = {
            "start": In(1), "layer": In(index(cfg.layers)),
            "row_addr": Out(range(max(depth, 2))),
            "o": Out(stream.Signature(chunk_layout(cfg), always_ready=True)),
        }
        if self.pairs:
            ports.update({"low": In(1), "half": Out(1)})
        if queued:
            ports.update({"in_order": In(1),
                          "queue": In(stream.Signature(index(cfg.intrinsic_size)))})
        super().__init__(ports)

    @property
    def words(self):
        """Memory words of a row, per layer (``hw.rows.row_layout``'s ``chunks``)."""
        return self.cfg.low_dpu_cycles if self.pairs else self.cfg.dpu_cycles

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        hidden, layers = cfg.intrinsic_size, range(cfg.layers)
        base, _ = row_layout(cfg, self.words)
        kd = by_layer(self.layer, [cfg.dpu_cycles(k) for k in layers])
        step = 1            # words between a neuron's chunks
        if self.pairs:
            kd = Mux(self.low, by_layer(self.layer, [cfg.low_dpu_cycles(k) for k in layers]), kd)
            step = Mux(self.low, 1, self.o.p.chunk[0])
            m.d.comb += self.half.eq(self.o.p.chunk[0])
        in_order = self.in_order if self.queued else 1
        active, neuron, c, row = self.o.valid, self.o.p.neuron, self.o.p.chunk, self.row_addr
        last_chunk = c == kd - 1
        m.d.comb += [self.o.p.first.eq(c == 0), self.o.p.last.eq(last_chunk)]
        with m.If(self.start):
            m.d.sync += [c.eq(0), neuron.eq(0), active.eq(in_order),
                         row.eq(by_layer(self.layer, base))]
        with m.Elif(active & ~last_chunk):
            m.d.sync += [c.eq(c + 1), row.eq(row + step)]
        with m.Elif(in_order):
            with m.If(active & (neuron != hidden - 1)):
                m.d.sync += [c.eq(0), row.eq(row + 1), neuron.eq(neuron + 1)]
            with m.Elif(active):       # done: addresses stay inside the memories
                m.d.sync += [c.eq(0), neuron.eq(0), active.eq(0)]
        if self.queued:
            with m.Else():
                queue = self.queue
                m.d.comb += queue.ready.eq(1)
                m.d.sync += [c.eq(0), neuron.eq(queue.p), active.eq(queue.valid),
                             row.eq(row_address(cfg, self.words, self.layer, queue.p))]
        return m
