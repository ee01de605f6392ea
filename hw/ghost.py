"""Ghost unit (GhostRNN; docs/architecture.md "Ghost states"): the cheap operation of a ghost
layer, ``q = tanh(W_gh u + b_gh)``, accumulated column by column while the cell unit writes the
intrinsic states u_t, so that little of it remains after the cell's last write.

It holds every layer's W_gh column-major (column i of layer l in P = ceil(G / N_g) words of N_g
weights, word p holding rows ``p*N_g .. p*N_g + N_g-1``: address ``(l * I + i) * P + p``) and
b_gh (``l * G + j``), N_g multipliers (``cfg.ghost_lanes``: the fewest that keep up with the
cell's baseline writes, at most N), G accumulators (``cfg.acc_width`` bits) and one tanh MU
(hw/mu.py).

Ports
    ``load`` (in, always ready): ``gate`` (core.layout GHOST_W: weight, GHOST_B: bias),
    ``layer``, ``row``, ``col``, ``data``: one parameter of the cheap operation (the top level
    passes the load words of kind GHOST).
    ``start`` (in): pulse that starts a layer step of ``layer`` (held during the step).
    ``wrote`` (in): the cell unit writes an intrinsic state this cycle (they come in order,
    u_0 first); ``h_state`` (in): the cell unit's registers, entry ``layer * H + i`` is u_i.
    ``write`` (out, always ready): ``entry``, ``data``: h_state[entry] = data, the ghost state
    ``q_j`` at entry ``layer * H + I + j``, written by the cell unit.
    ``done`` (out): one-cycle pulse, the step's last ghost state is written.
    ``sat`` (out, 0..1): the MU's requantizes that saturated (the layer's ``sat_pre``).
Schedule (cycles; ``golden.cycles.ghost_step_end`` models it): column i's P words are read on
consecutive cycles from ``c_i = max(w_i + 1, c_{i-1} + P)``, w_i the cycle the cell writes u_i;
each word's N products are registered and added to their accumulators a cycle later (column 0
replaces them). From ``c_{I-1} + P + 2`` the MU pass reads accumulator j and its bias at
``+ j``; q_j is written 3 cycles later and ``done`` follows the last write by a cycle:
``done = c_{I-1} + P + G + GHOST_TAIL`` with ``core.timing.GHOST_TAIL``.
"""

from __future__ import annotations

from amaranth.hdl import Array, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from core.layout import GHOST_B, GHOST_W
from hw.arith import by_layer, divmod_const, index, mul_const
from hw.mu import LATENCY as MU_LATENCY
from hw.mu import MultiFunctionUnit


def ghost_load_layout(cfg):
    return data.StructLayout({
        "gate": 2, "layer": index(cfg.layers), "row": index(cfg.ghost_size),
        "col": index(cfg.intrinsic_size), "data": signed(cfg.weight_format.width)})


def write_layout(cfg):
    return data.StructLayout({"entry": index(cfg.layers * cfg.hidden_size),
                              "data": signed(cfg.data_format.width)})


def ghost_words(cfg) -> int:
    """P: words of one W_gh column, ceil(G / N_g)."""
    return cfg.ghost_words


class GhostUnit(wiring.Component):
    def __init__(self, cfg):
        if not cfg.ghost:
            raise ValueError("a ghost unit needs ghost_ratio > 0")
        self.cfg = cfg
        dshape = signed(cfg.data_format.width)
        super().__init__({
            "load": In(stream.Signature(ghost_load_layout(cfg), always_ready=True)),
            "start": In(1), "layer": In(index(cfg.layers)), "wrote": In(1),
            "h_state": In(data.ArrayLayout(dshape, cfg.layers * cfg.hidden_size)),
            "write": Out(stream.Signature(write_layout(cfg), always_ready=True)),
            "done": Out(1), "sat": Out(2),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        n, ww = cfg.ghost_lanes, cfg.weight_format.width
        rows, words, hidden = cfg.ghost_size, ghost_words(cfg), cfg.hidden_size
        layers, intrinsic = cfg.layers, cfg.intrinsic_size
        layer = self.layer

        # parameters: column-major W_gh, N rows a word (lane write enables); one bias a word
        depth = layers * intrinsic * words
        m.submodules.weights = wmem = Memory(shape=unsigned(n * ww), depth=depth, init=[])
        m.submodules.bias = bmem = Memory(shape=signed(ww), depth=layers * rows, init=[])
        wwrite, wread = wmem.write_port(granularity=ww), wmem.read_port()
        bwrite, bread = bmem.write_port(), bmem.read_port()
        ld = self.load.p
        word, lane = divmod_const(ld.row, n)
        column = mul_const(ld.layer, intrinsic) + ld.col if layers > 1 else ld.col
        m.d.comb += [
            wwrite.addr.eq(mul_const(column, words) + word if words > 1 else column),
            wwrite.data.eq(ld.data.as_unsigned().replicate(n)),
            wwrite.en.eq((self.load.valid & (ld.gate == GHOST_W)).as_unsigned() << lane),
            bwrite.addr.eq(mul_const(ld.layer, rows) + ld.row if layers > 1 else ld.row),
            bwrite.data.eq(ld.data), bwrite.en.eq(self.load.valid & (ld.gate == GHOST_B)),
        ]

        # columns: column i is read once the cell has written u_i (``written`` > i)
        written = Signal(range(intrinsic + 1))
        col, p = Signal(index(intrinsic)), Signal(index(words))
        active = Signal()
        addr = Signal(range(max(depth, 2)))
        ready = active & (col < written)
        last_word = p == words - 1
        with m.If(self.start):
            m.d.sync += [written.eq(0), col.eq(0), p.eq(0), active.eq(1),
                         addr.eq(by_layer(layer, [k * intrinsic * words for k in range(layers)]))]
        with m.Else():
            with m.If(self.wrote):
                m.d.sync += written.eq(written + 1)
            with m.If(ready):
                m.d.sync += addr.eq(addr + 1)
                with m.If(~last_word):
                    m.d.sync += p.eq(p + 1)
                with m.Elif(col != intrinsic - 1):
                    m.d.sync += [p.eq(0), col.eq(col + 1)]
                with m.Else():
                    m.d.sync += [p.eq(0), col.eq(0), active.eq(0)]
        m.d.comb += wread.addr.eq(addr)

        # stage 1 (the weight word arrives): u_i; stage 2: products; stage 3: accumulators
        dshape = signed(cfg.data_format.width)
        u = [by_layer(layer, [self.h_state[k * hidden + i] for k in range(layers)])
             for i in range(intrinsic)]
        s1_valid, s1_first, s1_last = Signal(), Signal(), Signal()
        s1_p, s1_u = Signal(index(words)), Signal(dshape)
        m.d.sync += [s1_valid.eq(ready), s1_first.eq(col == 0), s1_p.eq(p),
                     s1_last.eq(ready & last_word & (col == intrinsic - 1)),
                     s1_u.eq(Array(u)[col] if intrinsic > 1 else u[0])]
        pwidth = ww + cfg.data_format.width
        w = wread.data
        products = [Signal(signed(pwidth), name=f"product{k}") for k in range(n)]
        s2_valid, s2_first, s2_last = Signal(), Signal(), Signal()
        s2_p = Signal(index(words))
        m.d.sync += [s2_valid.eq(s1_valid), s2_first.eq(s1_first), s2_p.eq(s1_p),
                     s2_last.eq(s1_last)]
        m.d.sync += [products[k].eq(w.word_select(k, ww).as_signed() * s1_u) for k in range(n)]
        acc = [Signal(signed(cfg.acc_width), name=f"acc{j}") for j in range(rows)]
        with m.If(s2_valid):
            for j, a in enumerate(acc):
                with m.If(s2_p == j // n):
                    m.d.sync += a.eq(Mux(s2_first, 0, a) + products[j % n])

        # the MU pass: accumulator j and b_gh[j] at cycle j after the last accumulation
        mu_active, j = Signal(), Signal(index(rows))
        with m.If(s2_last):
            m.d.sync += [mu_active.eq(1), j.eq(0)]
        with m.Elif(mu_active):
            with m.If(j == rows - 1):
                m.d.sync += [mu_active.eq(0), j.eq(0)]
            with m.Else():
                m.d.sync += j.eq(j + 1)
        m.d.comb += bread.addr.eq(mul_const(layer, rows) + j if layers > 1 else j)
        s_valid, s_acc = Signal(), Signal(signed(cfg.acc_width))
        delay = [Signal(index(rows), name="row_d1")]
        m.d.sync += [s_valid.eq(mu_active), s_acc.eq(Array(acc)[j] if rows > 1 else acc[0]),
                     delay[0].eq(j)]
        for k in range(MU_LATENCY):
            reg = Signal(index(rows), name=f"row_d{k + 2}")
            m.d.sync += reg.eq(delay[-1])
            delay.append(reg)
        m.submodules.mu = mu = MultiFunctionUnit(cfg, "tanh")
        m.d.comb += [mu.i.valid.eq(s_valid), mu.i.p.acc.eq(s_acc), mu.i.p.bias.eq(bread.data)]

        # the write of q_j into h_state, and done after the last
        out_row = delay[-1]
        base = [k * hidden + intrinsic for k in range(layers)]
        m.d.comb += [self.write.valid.eq(mu.o.valid), self.write.p.data.eq(mu.o.p.y),
                     self.write.p.entry.eq(by_layer(layer, base) + out_row),
                     self.sat.eq(mu.o.p.sat)]
        m.d.sync += self.done.eq(mu.o.valid & (out_row == rows - 1))
        return m
