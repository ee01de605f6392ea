"""BNN unit: the sign plane of the weights and an XNOR-popcount over B sign bits per cycle.

The sign plane holds every weight's sign bit (its MSB) once: in memo builds the weight memory
keeps only the other W-1 bits of each weight (hw/weight_store.py), and the dot-product path reads
its weights' signs from here, through a second read port (``chunk`` -> ``w_signs``). The BNN's
own port walks ahead of the DPU. Words are P = ``hw.rows.sign_word_bits`` bits (B, or a multiple
of B when N > B), rows ``hw.rows.sign_row_words`` words (docs/synthesis.md, "The memo hardware's
cost").

Ports
    ``load`` (in, always ready): ``layer``, ``row``, ``col``, ``sign`` -- one weight's sign bit
    (its MSB), written by the weight load port; columns >= X_l + H are ignored. One load per
    cycle, in any order, only while no step is walking (the word is read, then rewritten with
    the bit replaced, one cycle later).
    ``start`` (in): pulse; the unit then walks the H neurons of ``layer`` (held during the step).
    ``signs`` (in): sign bits of v = [x, h] (bit k: v[k] < 0), stable during the step.
    ``o`` (out, always ready): ``neuron`` and ``yb = 2 * popcount(XNOR) - (X_l + H)``.
    ``issue_neuron``/``issue_first`` (out): the neuron whose first chunk is read this cycle (so
    the memo lookup can run in parallel with the popcount).
    ``chunk`` (in, always ready): the weight chunk the row sequencer reads this cycle (``neuron``,
    ``chunk``, ``first``; chunks of a neuron in order from its first) -> ``w_signs`` (out, N
    bits) one cycle later, with the weight store's ``w``: the signs of that chunk's N weights.
    Precision builds: ``low`` (in, held during the step) makes the chunks 2N weights wide, and
    ``w_signs`` is 2N bits (a full chunk's signs in the lower N).
Timing: with ``start`` at cycle 0, neuron j's chunk c is read at ``1 + j*Kb + c`` and ``o.valid``
for neuron j is at ``2 + (j+1)*Kb`` (Kb = ceil((X_l + H) / B)). One neuron per Kb cycles, never
stalls (no back-pressure). Padding columns of the last chunk are masked out.
"""

from __future__ import annotations

from math import gcd

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.arith import by_layer, divmod_const, index, tree_sum
from hw.rows import row_address, row_layout, sign_lanes, sign_row_words, sign_word_bits
from hw.sequencer import chunk_layout


def _word_and_bit(col, width: int, columns: int):
    """(col // width, col % width) for a column ``col`` < ``columns``: shifts for a power of two,
    else one comparison per word boundary of a row (a row spans a few words; Yosys's divider by
    a constant such as 40 costs more than the XNOR-popcount). Columns beyond the rows are never
    written, so their word and bit do not matter."""
    words = -(-columns // width)
    if width & (width - 1) == 0 or words > 16:
        return divmod_const(col, width)
    word, start = Const(0, range(words)), Const(0, range(columns))
    for k in range(1, words):
        above = col >= k * width
        word, start = Mux(above, k, word), Mux(above, k * width, start)
    return word, (col - start).as_unsigned()[:max(1, (width - 1).bit_length())]


class BNNUnit(wiring.Component):
    def __init__(self, cfg):
        self.cfg = cfg
        kmax = cfg.max_row_length
        super().__init__({
            "load": In(stream.Signature(data.StructLayout({
                "layer": index(cfg.layers), "row": index(cfg.intrinsic_size),
                "col": index(kmax), "sign": 1}), always_ready=True)),
            "start": In(1),
            "layer": In(index(cfg.layers)),
            "signs": In(kmax),
            "o": Out(stream.Signature(data.StructLayout({
                "neuron": index(cfg.intrinsic_size), "yb": signed(cfg.yb_width)}),
                always_ready=True)),
            "issue_neuron": Out(index(cfg.intrinsic_size)),
            "issue_first": Out(1),
            "chunk": In(stream.Signature(chunk_layout(cfg), always_ready=True)),
            "w_signs": Out(sign_lanes(cfg)),
            **({"low": In(1)} if cfg.precision != "static" else {}),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        bits, hidden, layers = cfg.bnn_bits, cfg.intrinsic_size, range(cfg.layers)
        width, words = sign_word_bits(cfg), sign_row_words(cfg)
        per_word = width // bits                          # BNN chunks in a word
        base, depth = row_layout(cfg, words)
        kb = by_layer(self.layer, [cfg.bnn_cycles(n) for n in layers])
        klen = by_layer(self.layer, [cfg.row_length(n) for n in layers])
        # ram_style: with its two read ports, a small plane (a few hundred bits) would be
        # mapped to flip-flops and multiplexers on FPGAs without LUT RAM (iCE40: 1,000 LUTs
        # more for the small config's 108-bit planes); block RAMs cost no logic
        m.submodules.signs = mem = Memory(shape=width, depth=depth, init=[],
                                          attrs={"ram_style": "block"})

        # sign write, read-modify-write of whole words: one loaded weight's sign replaces one
        # bit of its word. Bit enables would split the memory into one block RAM per enable
        # group on FPGAs (8 DP16KD per gate on ECP5 instead of 1). Loads come while the walker
        # is idle (the weight port is ready only then), so its read port serves them; it is
        # transparent to the write port, so back-to-back loads into one word see each other.
        write = mem.write_port()
        read = mem.read_port(transparent_for=(write,))
        word, bit = _word_and_bit(self.load.p.col, width, cfg.max_row_length)
        lay = self.load.p.layer
        load_addr = row_address(cfg, words, lay, self.load.p.row) + word
        in_row = self.load.p.col < by_layer(lay, [cfg.row_length(n) for n in layers])
        l_valid, l_sign = Signal(), Signal()
        l_addr, l_bit = Signal.like(read.addr), Signal(range(width))
        m.d.sync += [l_valid.eq(self.load.valid & in_row), l_addr.eq(load_addr),
                     l_bit.eq(bit), l_sign.eq(self.load.p.sign)]
        updated = Signal(width)
        m.d.comb += [
            updated.eq(read.data),
            updated.bit_select(l_bit, 1).eq(l_sign),
            write.addr.eq(l_addr), write.data.eq(updated), write.en.eq(l_valid),
        ]

        # chunk walker: chunk c of a row is part ``c % per_word`` of the row's word c // per_word
        active = Signal()
        neuron = Signal(index(hidden))
        c = Signal(index(max(cfg.bnn_cycles(n) for n in layers)))
        part = Signal(range(max(per_word, 2)))
        addr = Signal(range(max(depth, 2)))
        # from a row's last chunk to the next row's first word
        jump = by_layer(self.layer, [words(n) - (cfg.bnn_cycles(n) - 1) // per_word
                                     for n in layers])
        with m.If(self.start):
            m.d.sync += [active.eq(1), neuron.eq(0), c.eq(0), part.eq(0),
                         addr.eq(by_layer(self.layer, base))]
        with m.Elif(active):
            # addresses stay inside the memories once the walk is over
            with m.If(c != kb - 1):
                m.d.sync += c.eq(c + 1)
                if per_word > 1:
                    with m.If(part != per_word - 1):
                        m.d.sync += part.eq(part + 1)
                    with m.Else():
                        m.d.sync += [part.eq(0), addr.eq(addr + 1)]
                else:
                    m.d.sync += addr.eq(addr + 1)
            with m.Elif(neuron != hidden - 1):
                m.d.sync += [addr.eq(addr + jump), c.eq(0), part.eq(0), neuron.eq(neuron + 1)]
            with m.Else():
                m.d.sync += [c.eq(0), part.eq(0), neuron.eq(0), active.eq(0)]
        m.d.comb += [read.addr.eq(Mux(active, addr, load_addr)),
                     self.issue_neuron.eq(neuron), self.issue_first.eq(active & (c == 0))]

        def last_mask(n):      # real columns of the last chunk of layer n's rows
            return (1 << (cfg.row_length(n) - (cfg.bnn_cycles(n) - 1) * bits)) - 1

        # stage 1: sign bits of the input chunk and the padding mask, aligned with the read
        chunks = -(-cfg.max_row_length // bits)
        padded = Cat(self.signs, Const(0, chunks * bits - cfg.max_row_length))
        s_valid, s_first, s_last = Signal(), Signal(), Signal()
        s_neuron = Signal(index(hidden))
        s_signs, s_mask = Signal(bits), Signal(bits)
        s_part = Signal.like(part)
        m.d.sync += [
            s_valid.eq(active), s_first.eq(c == 0), s_last.eq(c == kb - 1), s_neuron.eq(neuron),
            s_part.eq(part),
            s_signs.eq(Array(padded[k * bits:(k + 1) * bits] for k in range(chunks))[c]),
            s_mask.eq(Mux(c == kb - 1, by_layer(self.layer, [last_mask(n) for n in layers]),
                          (1 << bits) - 1)),
        ]
        # stage 2: XNOR + popcount, accumulated over the neuron's chunks
        w_bits = read.data.word_select(s_part, bits) if per_word > 1 else read.data
        matches = ~(w_bits ^ s_signs) & s_mask
        popcount = Signal(range(cfg.max_row_length + 1))
        with m.If(s_valid):
            m.d.sync += popcount.eq(Mux(s_first, 0, popcount) + tree_sum(matches[k]
                                                                          for k in range(bits)))
        m.d.sync += [self.o.valid.eq(s_valid & s_last), self.o.p.neuron.eq(s_neuron)]
        m.d.comb += self.o.p.yb.eq(2 * popcount - klen)

        self._weight_signs(m, mem.read_port(), words, width)
        return m

    def _weight_signs(self, m, port, words, width):
        if self.cfg.precision != "static":
            self._weight_signs_low(m, port, words, width)
            return
        """The dot-product path's port: the signs of each chunk of N weights it reads. A chunk
        starts at offset ``o`` of word ``w`` of its row (both advanced chunk by chunk from the
        row's start); when it runs past the word's end (``o + N > P``, only if N does not divide
        P) it ends in word ``w + 1``, which is read, and its first bits come from the word read
        for the chunk before."""
        cfg, n = self.cfg, self.cfg.lanes
        ch = self.chunk.p
        row = row_address(cfg, words, self.layer, ch.neuron)
        w_next = Signal(range(max(words(k) for k in range(cfg.layers)) + 1))
        cur_w = Mux(ch.first, 0, w_next)
        if width % n == 0:     # a chunk never spans two words: a chunk counter within the word
            per_word = width // n
            q_next = Signal(range(max(per_word, 2)))
            cur_q = Mux(ch.first, 0, q_next)
            s_q = Signal.like(q_next)
            wrap = cur_q == per_word - 1
            m.d.comb += port.addr.eq(row + cur_w)
            m.d.sync += [q_next.eq(Mux(wrap, 0, cur_q + 1)), w_next.eq(cur_w + wrap),
                         s_q.eq(cur_q)]
            m.d.comb += self.w_signs.eq(port.data.word_select(s_q, n) if per_word > 1
                                        else port.data)
            return
        step = gcd(n, width)   # every offset is a multiple of gcd(N, P)
        o_next = Signal(range(width))
        cur_o = Mux(ch.first, 0, o_next)
        straddle = cur_o + n > width
        total = cur_o + n
        wrap = total >= width
        previous = Signal(width)
        sel = Signal(range(2 * width // step))     # offset in [previous | data], in steps
        m.d.comb += port.addr.eq(row + cur_w + straddle)
        m.d.sync += [o_next.eq(Mux(wrap, total - width, total)), w_next.eq(cur_w + wrap),
                     sel.eq((Mux(straddle, cur_o, cur_o + width)) // step),
                     previous.eq(port.data)]
        window = Cat(previous, port.data, Const(0, n))
        m.d.comb += self.w_signs.eq(
            Array(window[k * step:k * step + n] for k in range(2 * width // step))[sel])

    def _weight_signs_low(self, m, port, words, width):
        """The dot-product path's port in a precision build: a full chunk's N signs, or (``low``,
        held during the step) a low chunk's 2N. P is a multiple of 2N (``sign_word_bits``), so
        a chunk never straddles two words: an offset within the word in units of N advances by
        1 or 2 a chunk. ``w_signs`` carries the chunk's signs from bit 0 (2N bits; a full
        chunk's are the lower N)."""
        cfg, n = self.cfg, self.cfg.lanes
        ch = self.chunk.p
        units = width // n
        row = row_address(cfg, words, self.layer, ch.neuron)
        w_next = Signal(range(max(words(k) for k in range(cfg.layers)) + 1))
        cur_w = Mux(ch.first, 0, w_next)
        q_next = Signal(range(units))
        cur_q = Mux(ch.first, 0, q_next)
        s_q = Signal.like(q_next)
        step = Mux(self.low, 2, 1)
        wrap = cur_q + step == units
        m.d.comb += port.addr.eq(row + cur_w)
        m.d.sync += [q_next.eq(Mux(wrap, 0, cur_q + step)), w_next.eq(cur_w + wrap),
                     s_q.eq(cur_q)]
        window = Cat(port.data, Const(0, n))
        m.d.comb += self.w_signs.eq(
            Array(window[k * n:k * n + 2 * n] for k in range(units))[s_q])

