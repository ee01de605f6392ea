"""Ghost unit (GhostRNN; docs/architecture.md "Ghost states"): the cheap operation of a ghost
layer, ``q = tanh(W_gh u + b_gh)``, after the cell unit has written the I intrinsic states u_t.

It holds every layer's W_gh (G rows of I weights, cut into Kg = ceil(I / N) words of N weights:
layer l's row j chunk c at ``(l * G + j) * Kg + c``) and b_gh (``l * G + j``), and has its own
dot-product unit (N lanes, hw/dpu.py) and a tanh MU (hw/mu.py), as a gate's compute unit has.

Ports
    ``load`` (in, always ready): ``gate`` (core.layout GHOST_W: weight, GHOST_B: bias),
    ``layer``, ``row``, ``col``, ``data``: one parameter of the cheap operation (the top level
    passes the load words of kind GHOST).
    ``start`` (in): one-cycle pulse, the cell unit's last write of the layer step is done (its
    ``done``); ``layer`` (in, held during the step).
    ``h_state`` (in): the cell unit's state registers, L*H entries (``layer * H + j``); the unit
    reads u = entries ``layer * H .. layer * H + I - 1``.
    ``write`` (out, always ready): ``entry``, ``data``: h_state[entry] = data (the ghost state
    ``q_j`` at entry ``layer * H + I + j``), written by the cell unit.
    ``done`` (out): one-cycle pulse, the step's last ghost state is written.
    ``sat`` (out, 0..1): the MU's requantizes that saturated (the layer's ``sat_pre``).
Schedule: row j's chunk c is read ``LAT_GHOST_START + j * Kg + c`` cycles after ``start``, rows
back to back; a row's output is written ``LAT_MU - 1`` cycles after its last chunk read (weight
read 1, DPU 2, MU 2) and ``done`` follows the last write by one cycle: the unit adds
``LAT_GHOST_START + G * Kg + LAT_MU`` cycles (``golden.cycles.ghost_cycles``) after ``start``.
"""

from __future__ import annotations

from amaranth.hdl import Array, Module, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from core.layout import GHOST_B, GHOST_W
from core.timing import LAT_DPU, LAT_GHOST_START
from hw.arith import by_layer, divmod_const, index, mul_const
from hw.dpu import DotProductUnit
from hw.mu import LATENCY as MU_LATENCY
from hw.mu import MultiFunctionUnit

assert LAT_GHOST_START == 1     # the sequencer's first read is the cycle after ``start``


def ghost_load_layout(cfg):
    return data.StructLayout({
        "gate": 2, "layer": index(cfg.layers), "row": index(cfg.ghost_size),
        "col": index(cfg.intrinsic_size), "data": signed(cfg.weight_format.width)})


def write_layout(cfg):
    return data.StructLayout({"entry": index(cfg.layers * cfg.hidden_size),
                              "data": signed(cfg.data_format.width)})


class GhostUnit(wiring.Component):
    def __init__(self, cfg):
        if not cfg.ghost:
            raise ValueError("a ghost unit needs ghost_ratio > 0")
        self.cfg = cfg
        dshape = signed(cfg.data_format.width)
        super().__init__({
            "load": In(stream.Signature(ghost_load_layout(cfg), always_ready=True)),
            "start": In(1), "layer": In(index(cfg.layers)),
            "h_state": In(data.ArrayLayout(dshape, cfg.layers * cfg.hidden_size)),
            "write": Out(stream.Signature(write_layout(cfg), always_ready=True)),
            "done": Out(1), "sat": Out(2),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        n, ww = cfg.lanes, cfg.weight_format.width
        rows, kg, hidden = cfg.ghost_size, cfg.ghost_dpu_cycles, cfg.hidden_size
        layers, intrinsic = cfg.layers, cfg.intrinsic_size

        # parameters: N weights a word (lane write enables), one bias a word
        depth = layers * rows * kg
        m.submodules.weights = wmem = Memory(shape=unsigned(n * ww), depth=depth, init=[])
        m.submodules.biases = bmem = Memory(shape=signed(ww), depth=layers * rows, init=[])
        wwrite, wread = wmem.write_port(granularity=ww), wmem.read_port()
        bwrite, bread = bmem.write_port(), bmem.read_port()
        ld = self.load.p
        chunk, lane = divmod_const(ld.col, n)
        entry = mul_const(ld.layer, rows) + ld.row if layers > 1 else ld.row
        m.d.comb += [
            wwrite.addr.eq(mul_const(entry, kg) + chunk if kg > 1 else entry),
            wwrite.data.eq(ld.data.as_unsigned().replicate(n)),
            wwrite.en.eq((self.load.valid & (ld.gate == GHOST_W)).as_unsigned() << lane),
            bwrite.addr.eq(entry), bwrite.data.eq(ld.data),
            bwrite.en.eq(self.load.valid & (ld.gate == GHOST_B)),
        ]

        # sequencer: rows 0..G-1, chunks 0..Kg-1 each, one chunk a cycle
        active, row, c = Signal(), Signal(index(rows)), Signal(index(kg))
        addr = Signal(range(max(depth, 2)))
        last_chunk = c == kg - 1
        with m.If(self.start):
            base = [k * rows * kg for k in range(layers)]
            m.d.sync += [active.eq(1), row.eq(0), c.eq(0), addr.eq(by_layer(self.layer, base))]
        with m.Elif(active):
            m.d.sync += addr.eq(addr + 1)
            with m.If(~last_chunk):
                m.d.sync += c.eq(c + 1)
            with m.Elif(row != rows - 1):
                m.d.sync += [c.eq(0), row.eq(row + 1)]
            with m.Else():
                m.d.sync += [c.eq(0), row.eq(0), active.eq(0)]
        m.d.comb += wread.addr.eq(addr)

        # stage 1 (with the weight read): u's chunk c, lane k = u[c*N + k] (0 past I)
        dshape = signed(cfg.data_format.width)
        u = [by_layer(self.layer, [self.h_state[k * hidden + i] for k in range(layers)])
             for i in range(intrinsic)]
        s_valid, s_first, s_last = Signal(), Signal(), Signal()
        s_row = Signal(index(rows))
        s_v = Signal(data.ArrayLayout(dshape, n))
        m.d.sync += [s_valid.eq(active), s_first.eq(c == 0), s_last.eq(active & last_chunk),
                     s_row.eq(row)]
        for k in range(n):
            lane_inputs = [u[q * n + k] if q * n + k < intrinsic else 0 for q in range(kg)]
            m.d.sync += s_v[k].eq(Array(lane_inputs)[c] if kg > 1 else lane_inputs[0])

        m.submodules.dpu = dpu = DotProductUnit(cfg)
        m.d.comb += [dpu.i.valid.eq(s_valid), dpu.i.p.w.eq(wread.data), dpu.i.p.v.eq(s_v),
                     dpu.i.p.first.eq(s_first), dpu.i.p.last.eq(s_last)]
        # the row beside the DPU and the MU; its bias is read to meet the DPU's output
        delay = [s_row]
        for k in range(LAT_DPU + MU_LATENCY):
            reg = Signal(index(rows), name=f"row_d{k + 2}")
            m.d.sync += reg.eq(delay[-1])
            delay.append(reg)
        brow = delay[LAT_DPU - 1]
        m.d.comb += bread.addr.eq(mul_const(self.layer, rows) + brow if layers > 1 else brow)
        m.submodules.mu = mu = MultiFunctionUnit(cfg, "tanh")
        m.d.comb += [mu.i.valid.eq(dpu.o.valid), mu.i.p.acc.eq(dpu.o.p.acc),
                     mu.i.p.bias.eq(bread.data)]

        # the write of q_j into h_state, and done after the last
        out_row = delay[-1]
        base = [k * hidden + intrinsic for k in range(layers)]
        m.d.comb += [self.write.valid.eq(mu.o.valid), self.write.p.data.eq(mu.o.p.y),
                     self.write.p.entry.eq(by_layer(self.layer, base) + out_row),
                     self.sat.eq(mu.o.p.sat)]
        m.d.sync += self.done.eq(mu.o.valid & (out_row == rows - 1))
        return m
