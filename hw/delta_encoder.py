"""Delta encoder of the delta build: which elements of ``v = [x, h]`` changed since they were last
sent, and by how much (golden/schemes/delta.py ``encode``).

Ports
    ``start`` (in): pulse that starts a layer step of ``layer`` (held during the step); ``v``
    (the layer's input vector, stable during the step) is read from the next cycle on.
    ``clear`` (in): sequence start: every layer's last-sent values become 0 (next cycle).
    ``theta``, ``theta_h`` (in, theta format): thresholds of the x elements and the h elements.
    ``o`` (out stream): ``col`` (element k), ``delta`` (``v_k - v_hat_k``, data width + 1):
    the changed elements of the step in increasing k; ``ready`` is honoured (a queue of X_l + H
    entries holds what the consumer has not taken, so the scan never waits).
    ``changed``, ``unchanged`` (out): one-cycle pulse per element examined, for the counters.
    ``idle`` (out): the step's scan is over and every changed element has been taken.
Behaviour: element k of the step is examined at cycle ``core.timing.LAT_ENCODE + k`` after
``start``; it changed when ``|v_k - v_hat_k| << theta_frac > threshold << data_frac``
(``theta`` for k < X_l, else ``theta_h``), then it enters the queue (on ``o`` from the next
cycle) and ``v_hat_k = v_k``. ``v_hat`` lives in a memory ``v_hat`` (one word per element of
every layer, read one element ahead of the scan) with a valid bit per word, so ``clear`` takes
one cycle.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.arith import by_layer, index


def column_layout(cfg):
    """An element the encoder sends: its column ``col`` and ``delta``."""
    return data.StructLayout({"col": index(cfg.max_row_length),
                              "delta": signed(cfg.data_format.width + 1)})


def element_bases(cfg) -> tuple[list[int], int]:
    """(first word of each layer, total words) of the encoder's ``v_hat`` memory."""
    base, depth = [], 0
    for layer in range(cfg.layers):
        base.append(depth)
        depth += cfg.row_length(layer)
    return base, depth


class DeltaEncoder(wiring.Component):
    def __init__(self, cfg):
        self.cfg = cfg
        dshape = signed(cfg.data_format.width)
        theta = unsigned(cfg.theta_format.width)
        super().__init__({
            "start": In(1), "layer": In(index(cfg.layers)), "clear": In(1),
            "v": In(data.ArrayLayout(dshape, cfg.max_row_length)),
            "theta": In(theta), "theta_h": In(theta),
            "o": Out(stream.Signature(column_layout(cfg))),
            "changed": Out(1), "unchanged": Out(1), "idle": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        layers, dw = range(cfg.layers), cfg.data_format.width
        base, depth = element_bases(cfg)
        first = by_layer(self.layer, base)
        row = by_layer(self.layer, [cfg.row_length(k) for k in layers])
        xlen = by_layer(self.layer, [cfg.layer_input_size(k) for k in layers])

        scanning = Signal()
        k = Signal(index(cfg.max_row_length))
        with m.If(self.start):
            m.d.sync += [scanning.eq(1), k.eq(0)]
        with m.Elif(scanning):
            m.d.sync += k.eq(k + 1)
            with m.If(k == row - 1):
                m.d.sync += scanning.eq(0)

        m.submodules.v_hat = v_hat = Memory(shape=unsigned(dw), depth=max(depth, 2), init=[])
        write = v_hat.write_port()
        read = v_hat.read_port(transparent_for=(write,))
        known = Signal(depth)            # v_hat word written since the sequence start
        # the word of element k is read in the cycle before k is examined
        m.d.comb += read.addr.eq(Mux(self.start, first, first + k + 1))

        here = first + k
        last_sent = Mux(known.bit_select(here, 1), read.data.as_signed(), 0)
        value = self.v[k]
        delta = Signal(signed(dw + 1))
        magnitude = Signal(unsigned(dw + 1))
        threshold = Mux(k < xlen, self.theta, self.theta_h)
        changed = Signal()
        m.d.comb += [
            delta.eq(value - last_sent),
            magnitude.eq(Mux(delta < 0, -delta, delta)),
            changed.eq((magnitude << cfg.theta_format.frac)
                       > (threshold << cfg.data_format.frac)),
        ]
        send = scanning & changed
        m.d.comb += [write.addr.eq(here), write.data.eq(value), write.en.eq(send),
                     self.changed.eq(send), self.unchanged.eq(scanning & ~changed)]
        with m.If(self.clear):
            m.d.sync += known.eq(0)
        with m.Elif(send):
            m.d.sync += known.bit_select(here, 1).eq(1)

        # the queue never fills: it has room for every element of a step
        m.submodules.pending = queue = SyncFIFO(width=column_layout(cfg).size,
                                                depth=cfg.max_row_length)
        entry = Signal(column_layout(cfg))
        m.d.comb += [entry.col.eq(k), entry.delta.eq(delta),
                     queue.w_en.eq(send), queue.w_data.eq(entry),
                     self.o.valid.eq(queue.r_rdy), self.o.p.eq(queue.r_data),
                     queue.r_en.eq(self.o.ready),
                     self.idle.eq(~scanning & ~queue.r_rdy)]
        return m
