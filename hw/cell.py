"""Cell-update unit: the LSTM / GRU state update of golden/cell.py, one neuron per cycle.

It owns the recurrent state of every layer: ``h_state`` (and, LSTM, ``c_state``), L*H entries
each, element ``layer * H + j``.

Ports
    ``start`` (in): pulse that starts a layer step of ``layer`` (held during the step).
    ``clear`` (in): sequence start: h and c of every layer become 0 (next cycle).
    ``done_bits`` (in, G*H bits, gate g at ``[g*H:(g+1)*H]``): the CUs' ``done`` vectors.
    ``y_addr`` (out) -> ``y`` (in, one per gate) and ``y_h`` (in, GRU ``n`` pair): the CUs'
    gate-output reads, data one cycle after the address.
    ``h_state``, ``c_state`` (out): the state registers.
    ``done`` (out): one-cycle pulse, the step's last h is written.
Behaviour: neuron j is issued at the first cycle >= (issue of j-1) + 1 at which every gate's
``done[j]`` is set; its h (and c) are written 3 cycles later (gate read 1, LSTM ``c`` / GRU
``a_x + r*a_h`` 1, tanh ROM 1, the final product and ``rq`` in the write cycle). ``done``
pulses one cycle after the last write: 4 cycles after neuron H-1 was issued.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from golden.activation import activation_table
from hw.arith import index, lut_address, requantize, saturate

LATENCY = 4    # issue of neuron j -> ``done`` when j is the step's last neuron


class CellUnit(wiring.Component):
    def __init__(self, cfg):
        self.cfg = cfg
        dshape = signed(cfg.data_format.width)
        entries = cfg.layers * cfg.hidden_size
        super().__init__({
            "start": In(1), "layer": In(index(cfg.layers)), "clear": In(1),
            "done_bits": In(cfg.gates * cfg.hidden_size),
            "y_addr": Out(index(cfg.hidden_size)),
            "y": In(data.ArrayLayout(dshape, cfg.gates)), "y_h": In(dshape),
            "h_state": Out(data.ArrayLayout(dshape, entries)),
            "c_state": Out(data.ArrayLayout(dshape, entries)),
            "done": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        fmt, hidden, gates = cfg.data_format, cfg.hidden_size, cfg.gates
        dshape, frac = signed(fmt.width), fmt.frac

        # issue neuron j once all gates have it
        active = Signal()
        j = Signal(index(hidden))
        ready = Cat(self.done_bits.bit_select(g * hidden + j, 1) for g in range(gates)).all()
        issue = active & ready
        with m.If(self.start):
            m.d.sync += [active.eq(1), j.eq(0)]
        with m.Elif(issue):
            with m.If(j == hidden - 1):
                m.d.sync += [j.eq(0), active.eq(0)]
            with m.Else():
                m.d.sync += j.eq(j + 1)
        m.d.comb += self.y_addr.eq(j)

        # stage 1: gate outputs arrive; stage 2: tanh ROM address; stage 3: h written
        v1, v2, v3 = Signal(), Signal(), Signal()
        e1, e2, e3 = (Signal(index(cfg.layers * hidden), name=f"entry{k}") for k in (1, 2, 3))
        m.d.sync += [v1.eq(issue), v2.eq(v1), v3.eq(v2),
                     e1.eq(self.layer * hidden + j), e2.eq(e1), e3.eq(e2)]
        m.submodules.tanh = rom = Memory(shape=dshape, depth=cfg.lut_entries,
                                         init=[int(v) for v in activation_table("tanh", cfg)])
        tanh = rom.read_port()
        keep2, keep3 = Signal(dshape), Signal(dshape)      # o (LSTM) or z (GRU)
        prev2, prev3 = Signal(dshape), Signal(dshape)      # h_prev (GRU)
        arg2 = Signal(dshape)                               # tanh argument: c or a_x + r*a_h
        m.d.comb += tanh.addr.eq(lut_address(arg2, cfg))
        m.d.sync += [keep3.eq(keep2), prev3.eq(prev2)]

        h_state, c_state = self.h_state, self.c_state
        if cfg.cell == "lstm":
            i, f, g, o = (self.y[k] for k in range(4))
            c = requantize(f * c_state[e1] + i * g, fmt, 2 * frac)
            m.d.sync += [arg2.eq(c), keep2.eq(o)]
            with m.If(v1 & ~self.clear):
                m.d.sync += c_state[e1].eq(c)
            h = requantize(keep3 * tanh.data, fmt, 2 * frac)
        else:
            r, z = self.y[0], self.y[1]
            a_x, a_h = self.y[2], self.y_h
            rh = requantize(r * a_h, fmt, 2 * frac)
            m.d.sync += [arg2.eq(saturate(a_x + rh, fmt)), keep2.eq(z),
                         prev2.eq(h_state[e1])]
            h = requantize(((1 << frac) - keep3) * tanh.data + keep3 * prev3, fmt, 2 * frac)
        with m.If(self.clear):
            m.d.sync += [h_state.eq(0), c_state.eq(0)]
        with m.Elif(v3):
            m.d.sync += h_state[e3].eq(h)
        m.d.sync += self.done.eq(v3 & (e3 == self.layer * hidden + hidden - 1))
        return m
