"""Column accumulator of the delta build: the pre-activation memory of one gate and the N
multipliers that add ``W[:, k] * delta_k`` into it, one weight column word per cycle.

Ports
    ``start``, ``layer`` (in): a layer step of ``layer`` starts (``layer`` held during it).
    ``clear`` (in): sequence start: every layer's pre-activations become 0 (next cycle).
    ``i`` (in stream): ``col``, ``delta``: a changed element (the delta encoder's ``o``);
    taken when idle or in the cycle of the previous column's last word.
    ``w_addr`` (out) -> ``w`` (in, N lanes) one cycle later: the column-major weight memory
    (``hw.rows.column_address``): word p of column k holds the weights of neurons p*N..p*N+N-1.
    ``pre_addr`` (in, neuron j) -> ``pre`` (and, ``pair``, ``pre_h``) (out) one cycle later:
    neuron j's accumulated pre-activation (no bias), while ``idle``.
    ``idle`` (out): no column taken, being read or being added.
Behaviour: a column taken at cycle c reads its P = ceil(H / N) words at c+1..c+P; word p's
products ``w * delta`` are registered a cycle after its weights arrive and added to the
pre-activation word the cycle after (read-modify-write through a read port transparent to the
write port, so back-to-back columns see each other's sums), written
``core.timing.LAT_ACCUMULATE`` - 1 cycles after its read; ``idle`` rises
``LAT_ACCUMULATE`` cycles after the last word is read. ``pair`` (the GRU n gate) keeps the x
columns' sums (k < X_l) in ``preact`` and the h columns' in ``preact_h``. Each word is
``N * cfg.acc_width`` bits and never overflows (golden/schemes/delta.py states the bound);
a valid bit per word makes ``clear`` one cycle.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.arith import by_layer, divmod_const, index
from hw.delta_encoder import column_layout
from hw.rows import column_address, column_words


class ColumnAccumulator(wiring.Component):
    def __init__(self, cfg, pair: bool = False):
        self.cfg = cfg
        self.pair = pair
        acc = signed(cfg.acc_width)
        super().__init__({
            "start": In(1), "layer": In(index(cfg.layers)), "clear": In(1),
            "i": In(stream.Signature(column_layout(cfg))),
            "w_addr": Out(range(max(column_words(cfg)[1], 2))),
            "w": In(data.ArrayLayout(signed(cfg.weight_format.width), cfg.lanes)),
            "pre_addr": In(index(cfg.hidden_size)), "pre": Out(acc), "pre_h": Out(acc),
            "idle": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        n, words, layers = cfg.lanes, cfg.delta_words, range(cfg.layers)
        acc_w = cfg.acc_width
        first_word = by_layer(self.layer, [k * words for k in layers])

        # the column being read: word p of column col
        busy = Signal()
        p = Signal(index(words))
        col = Signal.like(self.i.p.col)
        delta = Signal.like(self.i.p.delta)
        last = p == words - 1
        m.d.comb += self.i.ready.eq(~busy | last)
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [busy.eq(1), p.eq(0), col.eq(self.i.p.col), delta.eq(self.i.p.delta)]
        with m.Elif(busy & last):
            m.d.sync += busy.eq(0)
        with m.Elif(busy):
            m.d.sync += p.eq(p + 1)
        m.d.comb += self.w_addr.eq(column_address(cfg, self.layer, col) + p)

        # stage 1: weights arrive, products registered; stage 2: read-modify-write
        xlen = by_layer(self.layer, [cfg.layer_input_size(k) for k in layers])
        s1_valid, s2_valid = Signal(), Signal()
        s1_word, s2_word = Signal(index(words)), Signal(index(words))
        s1_h, s2_h = Signal(), Signal()
        s1_delta = Signal.like(delta)
        m.d.sync += [s1_valid.eq(busy), s1_word.eq(p), s1_h.eq(col >= xlen), s1_delta.eq(delta),
                     s2_valid.eq(s1_valid), s2_word.eq(s1_word), s2_h.eq(s1_h)]
        pwidth = cfg.weight_format.width + cfg.data_format.width + 1
        products = [Signal(signed(pwidth), name=f"product{k}") for k in range(n)]
        m.d.sync += [prod.eq(self.w[k] * s1_delta) for k, prod in enumerate(products)]
        m.d.comb += self.idle.eq(~busy & ~s1_valid & ~s2_valid)

        # MU pass: neuron j is lane j % N of word j // N
        word_of, lane_of = divmod_const(self.pre_addr, n)
        lane = Signal(index(n))
        m.d.sync += lane.eq(lane_of)
        sums = [("preact", ~s2_h if self.pair else 1, self.pre)]
        if self.pair:
            sums.append(("preact_h", s2_h, self.pre_h))
        for name, mine, out in sums:
            m.submodules[name] = mem = Memory(shape=unsigned(n * acc_w),
                                              depth=max(cfg.layers * words, 2), init=[])
            write = mem.write_port()
            read = mem.read_port(transparent_for=(write,))
            known = Signal(cfg.layers * words)
            read_known = Signal()
            addr = first_word + Mux(s1_valid, s1_word, word_of)
            m.d.comb += read.addr.eq(addr)
            here = first_word + s2_word
            en = s2_valid & mine
            # the valid bit as the transparent read port sees the word: written this cycle too
            m.d.sync += read_known.eq(known.bit_select(addr, 1) | (en & (here == addr)))
            old = data.View(data.ArrayLayout(signed(acc_w), n),
                            Mux(read_known, read.data, 0))
            m.d.comb += [write.addr.eq(here), write.en.eq(en),
                         write.data.eq(Cat((old[k] + products[k])[:acc_w] for k in range(n))),
                         out.eq(old[lane])]
            with m.If(self.clear):
                m.d.sync += known.eq(0)
            with m.Elif(en):
                m.d.sync += known.bit_select(here, 1).eq(1)
        return m
