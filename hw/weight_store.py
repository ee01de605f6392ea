"""Weight store of one compute unit: the weight and bias memories and the load port's decode.

Ports
    ``load`` (in, always ready): ``kind`` (core.layout: WEIGHT, BIAS -- ``b_in`` for the GRU
    ``n`` gate -- or BIAS_HN), ``layer``, ``row``, ``col``, ``data``: one parameter of this
    gate. Weight columns >= X_l + H are ignored. One load per cycle, written at the end of it.
    ``row_addr`` (in) -> ``w`` (out, N lanes) one cycle later: a weight word, laid out by
    ``hw.rows.row_layout(cfg, cfg.dpu_cycles)`` (N columns of a row a word), or with
    ``columns`` (the delta build) by ``hw.rows.column_words`` (N rows of a column a word).
    ``signs_apart`` stores (memo builds, the BNN scheme): the memory keeps W-1 bits of each
    weight; its sign bit is the BNN unit's sign plane's (hw/bnn.py), which comes in on
    ``w_signs`` (in, N bits) in the cycle ``w`` is out, and is ``w``'s MSBs. Every weight bit
    is stored once.
    Precision builds (``cfg.precision != "static"``; docs/architecture.md, "Dynamic precision")
    keep the weights in two memories of words of 2N weights (a row padded to whole words,
    ``hw.rows.row_layout(cfg, cfg.low_dpu_cycles)``): ``weights`` holds each weight's upper
    ``W - sw + 1`` bits (the low weight and its rounding bit; 9 for 16-bit weights),
    ``weights_low`` the other ``sw - 1`` bits. ``row_addr`` names a word and ``half`` (in, with
    it) which N weights of it ``w`` carries (a full step's chunk c is word c // 2, half c % 2);
    ``w_low`` (out, 2N low-precision weights, golden/precision.py ``low_weights``) comes from
    the ``weights`` word alone, with ``w``. With ``signs_apart`` ``weights`` keeps 8 bits of
    each weight and ``w_signs`` is 2N bits: a full chunk's N signs in its lower half, a low
    chunk's 2N (the BNN's port of those builds).
    Batched builds (``cfg.slots > 1``, docs/architecture.md "The batched build"): ``read_en``
    (in): the read port takes ``row_addr`` only when it is 1; otherwise ``w`` holds the last
    word read (the batched row sequencer's ``read``: one read a round of slots).
    ``bias_addr`` (in, ``layer * H + neuron``) -> ``bias_data`` and, ``pair`` only,
    ``bias_h_data`` (``b_hn``) one cycle later. (The memories are named ``weights``, ``bias`` and
    ``bias_h`` in the Verilog, as synth/units.py counts them; no port may take those names.)
Throughput: one load, one weight read and one bias read per cycle, independent of each other.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from core.config import LOW_BITS
from core.layout import BIAS, BIAS_HN, KIND_BITS, WEIGHT
from hw.arith import by_layer, divmod_const, index
from hw.precision import low_word
from hw.rows import column_address, column_words, row_address, row_layout, sign_lanes


def load_layout(cfg):
    """Payload of a compute unit's load port (the weight address decoded, and the value)."""
    return data.StructLayout({
        "kind": KIND_BITS, "layer": index(cfg.layers), "row": index(cfg.intrinsic_size),
        "col": index(cfg.max_row_length), "data": signed(cfg.weight_format.width)})


class WeightStore(wiring.Component):
    def __init__(self, cfg, pair: bool = False, *, signs_apart: bool = False,
                 columns: bool = False):
        self.cfg = cfg
        self.pair = pair
        self.signs_apart = signs_apart
        self.columns = columns
        self.pairs = cfg.precision != "static"     # words of 2N weights, two memories
        if self.pairs and columns:
            raise ValueError("a precision build's weight store keeps whole rows")
        self.depth = (column_words(cfg) if columns else row_layout(
            cfg, cfg.low_dpu_cycles if self.pairs else cfg.dpu_cycles))[1]
        wshape = signed(cfg.weight_format.width)
        super().__init__({
            **({"w_signs": In(sign_lanes(cfg))} if signs_apart else {}),
            **({"read_en": In(1)} if cfg.slots > 1 else {}),
            **({"half": In(1), "w_low": Out(data.ArrayLayout(signed(LOW_BITS), 2 * cfg.lanes))}
               if self.pairs else {}),
            "load": In(stream.Signature(load_layout(cfg), always_ready=True)),
            "row_addr": In(range(max(self.depth, 2))),
            "w": Out(data.ArrayLayout(wshape, cfg.lanes)),
            "bias_addr": In(index(cfg.layers * cfg.intrinsic_size)),
            "bias_data": Out(wshape), "bias_h_data": Out(wshape),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        n, ww = cfg.lanes, cfg.weight_format.width
        stored = ww - 1 if self.signs_apart else ww        # bits of a weight in this memory
        ld = self.load.p
        if self.pairs:
            self._pairs(m)
            self._biases(m)
            return m
        m.submodules.weights = wmem = Memory(shape=unsigned(n * stored), depth=self.depth,
                                             init=[])
        write, read = wmem.write_port(granularity=stored), wmem.read_port()
        if self.columns:
            word, lane = divmod_const(ld.row, n)
            addr = column_address(cfg, ld.layer, ld.col) + word
        else:
            chunk, lane = divmod_const(ld.col, n)
            addr = row_address(cfg, cfg.dpu_cycles, ld.layer, ld.row) + chunk
        in_row = ld.col < by_layer(ld.layer, [cfg.row_length(k) for k in range(cfg.layers)])
        m.d.comb += [
            write.addr.eq(addr),
            write.data.eq(ld.data.as_unsigned()[:stored].replicate(n)),
            write.en.eq(Cat(self.load.valid & (ld.kind == WEIGHT) & in_row).as_unsigned()
                        << lane),
            read.addr.eq(self.row_addr),
        ]
        if self.cfg.slots > 1:
            m.d.comb += read.en.eq(self.read_en)
        if self.signs_apart:
            m.d.comb += self.w.eq(Cat(Cat(read.data.word_select(k, stored), self.w_signs[k])
                                      for k in range(n)))
        else:
            m.d.comb += self.w.eq(read.data)
        self._biases(m)
        return m

    def _pairs(self, m):
        """The precision build's two memories of 2N-weight words."""
        cfg, ld = self.cfg, self.load.p
        n, ww, low_bits = cfg.lanes, cfg.weight_format.width, cfg.low_weight_shift - 1
        high_bits = ww - low_bits - self.signs_apart       # the sign bit comes from w_signs
        chunk, lane = divmod_const(ld.col, 2 * n)
        addr = row_address(cfg, cfg.low_dpu_cycles, ld.layer, ld.row) + chunk
        in_row = ld.col < by_layer(ld.layer, [cfg.row_length(k) for k in range(cfg.layers)])
        enable = Cat(self.load.valid & (ld.kind == WEIGHT) & in_row).as_unsigned() << lane
        word = ld.data.as_unsigned()
        reads = []
        for name, bits, part in (("weights", high_bits, word[low_bits:low_bits + high_bits]),
                                 ("weights_low", low_bits, word[:low_bits])):
            m.submodules[name] = mem = Memory(shape=unsigned(2 * n * bits), depth=self.depth,
                                              init=[])
            write, read = mem.write_port(granularity=bits), mem.read_port()
            m.d.comb += [write.addr.eq(addr), write.data.eq(part.replicate(2 * n)),
                         write.en.eq(enable), read.addr.eq(self.row_addr)]
            reads.append(read.data)
        high, low = reads
        half = Signal()
        m.d.sync += half.eq(self.half)

        def sign(k):       # a full chunk's signs are w_signs' lower N, a low chunk's all 2N
            return self.w_signs[k] if self.signs_apart else Cat()
        for k in range(n):
            lo = Mux(half, low.word_select(n + k, low_bits), low.word_select(k, low_bits))
            hi = Mux(half, high.word_select(n + k, high_bits), high.word_select(k, high_bits))
            m.d.comb += self.w[k].eq(Cat(lo, hi, sign(k)))
        # the low weight: the upper bits rounded half up (the rounding bit is the LSB here)
        for k in range(2 * n):
            upper = Cat(high.word_select(k, high_bits), sign(k)).as_signed()
            m.d.comb += self.w_low[k].eq(low_word(upper, 1))

    def _biases(self, m):
        cfg, ld = self.cfg, self.load.p
        ww, entries = cfg.weight_format.width, cfg.layers * cfg.intrinsic_size
        biases = [("bias", BIAS, self.bias_data)] + ([("bias_h", BIAS_HN, self.bias_h_data)]
                                                      if self.pair else [])
        for name, kind, out in biases:
            m.submodules[name] = mem = Memory(shape=signed(ww), depth=entries, init=[])
            bwrite, bread = mem.write_port(), mem.read_port()
            m.d.comb += [bwrite.addr.eq(ld.layer * cfg.intrinsic_size + ld.row),
                         bwrite.data.eq(ld.data), bwrite.en.eq(self.load.valid & (ld.kind == kind)),
                         bread.addr.eq(self.bias_addr), out.eq(bread.data)]
