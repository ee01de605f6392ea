"""Controller: sequences, timesteps and layers; input and output buffers; counters.

Order of work is timestep-major: for each timestep t, layers 0..L-1 (each layer step needs only
h_t of the layer below and the layer's own h_{t-1}, both in the cell unit's state registers), so
no sequence buffer is needed; results and cycle counts equal those of layer-major order.

Ports
    ``x`` (in stream): ``data``, ``first``; the X elements of x_t in order. ``first`` on element
    0 marks a sequence start. Elements fill the input buffer while the core computes; ``ready``
    is low only while the buffer holds a complete x_t not yet taken by layer 0.
    ``h`` (out stream): ``data``, ``last``: the last layer's h_t, element H-1 with ``last``.
    An output buffer holds one h_t; the core waits (uncounted) before the next copy into it.
    ``start``, ``layer``, ``clear`` (out): layer-step start pulse, the step's layer (held), and
    the sequence-start pulse (with ``start`` of layer 0) that zeroes state, memo and counters.
    ``v`` (out): the layer's input vector [x, h_{t-1}], loaded in the ``start`` cycle.
    ``h_state`` (in): the cell unit's h registers; ``cell_done`` (in): the layer step is over.
    ``computed``, ``reused`` (in, one bit per gate): the CUs' pulses.
    ``idle`` (out): no layer step pending (the weight load port is open); ``busy`` = ~idle.
    ``cycles``, ``computed_count``, ``reused_count`` (out): counters, cleared at sequence start.
    ``sat_<q>`` (in, for each of ``cfg.saturation_quantities``): saturations this cycle, of the
    layer step running (up to and including its ``cell_done`` cycle); ``sat_<q>_count`` (out,
    one per layer): their counters, two cycles later, cleared at sequence start, stopping at
    their maximum (a counter that wrapped could read 0 after saturations).
Timing: a layer step lasts from its ``start`` cycle up to and including the cycle ``cell_done``
is seen; ``cycles`` counts exactly those cycles (waits for x or for the output buffer are not).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.arith import index


def saturation_pulse_width(cfg) -> int:
    """Bits of the saturations of one cycle: up to two per compute unit (the GRU n gate's pair)
    and two in the cell unit."""
    return (2 * cfg.gates + 2).bit_length()


class Controller(wiring.Component):
    def __init__(self, cfg):
        self.cfg = cfg
        dshape = signed(cfg.data_format.width)
        count = unsigned(cfg.counter_width)
        super().__init__({
            "x": In(stream.Signature(data.StructLayout({"data": dshape, "first": 1}))),
            "h": Out(stream.Signature(data.StructLayout({"data": dshape, "last": 1}))),
            "start": Out(1), "layer": Out(index(cfg.layers)), "clear": Out(1),
            "v": Out(data.ArrayLayout(dshape, cfg.max_row_length)),
            "h_state": In(data.ArrayLayout(dshape, cfg.layers * cfg.hidden_size)),
            "cell_done": In(1),
            "computed": In(cfg.gates), "reused": In(cfg.gates),
            "idle": Out(1), "busy": Out(1),
            "cycles": Out(count),
            "computed_count": Out(data.ArrayLayout(count, cfg.gates)),
            "reused_count": Out(data.ArrayLayout(count, cfg.gates)),
            **{f"sat_{q}{end}": port for q in cfg.saturation_quantities for end, port in (
                ("", In(saturation_pulse_width(cfg))),
                ("_count", Out(data.ArrayLayout(count, cfg.layers))))},
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        xs, hidden, layers = cfg.input_size, cfg.hidden_size, cfg.layers
        dshape = signed(cfg.data_format.width)

        # input buffer: one x_t
        xbuf = Signal(data.ArrayLayout(dshape, xs))
        x_index = Signal(index(xs))
        x_full, x_first = Signal(), Signal()
        m.d.comb += self.x.ready.eq(~x_full)
        with m.If(self.x.valid & ~x_full):
            m.d.sync += [xbuf[x_index].eq(self.x.p.data), x_index.eq(x_index + 1)]
            with m.If(x_index == 0):
                m.d.sync += x_first.eq(self.x.p.first)
            with m.If(x_index == xs - 1):
                m.d.sync += [x_full.eq(1), x_index.eq(0)]

        # output buffer: one h_t of the last layer
        obuf = Signal(data.ArrayLayout(dshape, hidden))
        o_index = Signal(index(hidden))
        o_full = Signal()
        m.d.comb += [self.h.valid.eq(o_full), self.h.p.data.eq(obuf[o_index]),
                     self.h.p.last.eq(o_index == hidden - 1)]
        with m.If(self.h.valid & self.h.ready):
            m.d.sync += o_index.eq(o_index + 1)
            with m.If(o_index == hidden - 1):
                m.d.sync += [o_full.eq(0), o_index.eq(0)]

        h_of = [self.h_state.as_value()[k * hidden * dshape.width:(k + 1) * hidden * dshape.width]
                for k in range(layers)]
        zero_pad = cfg.max_row_length * dshape.width
        counting = Signal()
        with m.FSM(name="fsm"):
            with m.State("IDLE"):
                m.d.comb += self.idle.eq(1)
                with m.If(x_full):
                    m.d.sync += self.layer.eq(0)
                    m.next = "START"
            with m.State("START"):
                m.d.comb += [self.start.eq(1), counting.eq(1)]
                with m.Switch(self.layer):
                    for k in range(layers):
                        with m.Case(k):
                            if k == 0:
                                m.d.comb += self.clear.eq(x_first)
                                below = xbuf.as_value()
                                m.d.sync += [x_full.eq(0), x_first.eq(0)]
                            else:
                                below = h_of[k - 1]
                            own = h_of[k] if k else h_of[0] & ~self.clear.replicate(len(h_of[0]))
                            vec = Cat(below, own)
                            if len(vec) < zero_pad:
                                vec = Cat(vec, Const(0, zero_pad - len(vec)))
                            m.d.sync += self.v.eq(vec)
                m.next = "RUN"
            with m.State("RUN"):
                m.d.comb += counting.eq(1)
                with m.If(self.cell_done):
                    with m.If(self.layer == layers - 1):
                        m.next = "OUTPUT"
                    with m.Else():
                        m.d.sync += self.layer.eq(self.layer + 1)
                        m.next = "START"
            with m.State("OUTPUT"):
                with m.If(~o_full):
                    m.d.sync += [obuf.eq(h_of[layers - 1]), o_full.eq(1)]
                    m.next = "IDLE"
        m.d.comb += self.busy.eq(~self.idle)
        self.count(m, counting)
        return m

    def count(self, m, counting):
        """The counters: cleared by ``clear``, ``cycles`` advanced while ``counting``."""
        cfg = self.cfg
        with m.If(self.clear):
            m.d.sync += self.cycles.eq(1)
            m.d.sync += [self.computed_count[g].eq(0) for g in range(cfg.gates)]
            m.d.sync += [self.reused_count[g].eq(0) for g in range(cfg.gates)]
        with m.Else():
            with m.If(counting):
                m.d.sync += self.cycles.eq(self.cycles + 1)
            for g in range(cfg.gates):
                m.d.sync += [
                    self.computed_count[g].eq(self.computed_count[g] + self.computed[g]),
                    self.reused_count[g].eq(self.reused_count[g] + self.reused[g]),
                ]
        # a cycle's saturations are registered with their layer before they are counted: the
        # sum of the units' flags stays off the counters' carry chains (on iCE40 it had become
        # the memo build's critical path). A step's last flag (h, with ``cell_done``) reaches
        # its counter two cycles after ``cell_done``, before the step's h_t can be read.
        width = cfg.counter_width
        top = (1 << width) - 1
        held_layer = Signal.like(self.layer)
        m.d.sync += held_layer.eq(self.layer)
        for q in cfg.saturation_quantities:
            pulses = Signal.like(getattr(self, f"sat_{q}"), name=f"held_sat_{q}")
            counts = getattr(self, f"sat_{q}_count")
            m.d.sync += pulses.eq(getattr(self, f"sat_{q}"))
            for k in range(cfg.layers):
                total = counts[k] + Mux(held_layer == k, pulses, 0)
                with m.If(self.clear):
                    m.d.sync += counts[k].eq(0)
                with m.Else():
                    # the sum has one bit more than the counter: that bit is the overflow
                    m.d.sync += counts[k].eq(Mux(total[width], top, total[:width]))
