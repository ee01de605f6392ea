"""Batched BNN unit (E-BATCH memo build; docs/architecture.md, "The batched build"): a sign plane
of the weights and an XNOR-popcount over B sign bits per cycle, walking the active slots.

Each sign word is read once and held while the XNOR-popcount takes it with the input signs of
every active slot in turn (chunk-major, slot-minor, as hw/batch_sequencer.py holds a weight
word): a neuron costs ``Kb * a`` cycles for ``a`` active slots, one sign-word read per chunk.
The plane is the BNN's own copy of the weights' MSBs (words of B bits, ``Kb`` words a row):
the batched weight store keeps whole weights, since its words are held for a round of slots and
a second, sign-plane read port would have to be held in step with them.

Ports
    ``load`` (in, always ready): ``layer``, ``row``, ``col``, ``sign``: one weight's sign bit,
    only while no step walks (read-modify-write of a word, as hw/bnn.py).
    ``start`` (in): pulse; the unit then walks the H neurons of ``layer`` (held during the step)
    for the slots of ``active`` (in, S bits, held, at least one set).
    ``signs`` (in): every slot's sign bits of v = [x, h], slot s at bits
    ``s * max_row_length ...``, stable during the step.
    ``lookup`` (out): the cycle the walk reads neuron ``lookup_neuron``'s first sign word (the
    memo entries are looked up then, so the comparators hold them before the decision).
    ``o`` (out, always ready): ``neuron`` and ``yb`` (S values: slot s's
    ``2 * popcount(XNOR) - (X_l + H)``; only the active slots' are meaningful).
Timing: with ``start`` at cycle 0, neuron j's chunk c for the i-th active slot is taken at
``1 + (j*Kb + c)*a + i`` and ``o.valid`` for neuron j is at ``2 + (j+1)*Kb*a`` (a = 1 is
hw/bnn.py's timing). Never stalls. Padding columns of the last chunk are masked out.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.arith import by_layer, index, tree_sum
from hw.batch_sequencer import encode, lowest
from hw.bnn import _word_and_bit
from hw.rows import row_address, row_layout


class BatchBNNUnit(wiring.Component):
    def __init__(self, cfg):
        self.cfg = cfg
        kmax = cfg.max_row_length
        super().__init__({
            "load": In(stream.Signature(data.StructLayout({
                "layer": index(cfg.layers), "row": index(cfg.hidden_size),
                "col": index(kmax), "sign": 1}), always_ready=True)),
            "start": In(1), "layer": In(index(cfg.layers)), "active": In(cfg.slots),
            "signs": In(cfg.slots * kmax),
            "lookup": Out(1), "lookup_neuron": Out(index(cfg.hidden_size)),
            "o": Out(stream.Signature(data.StructLayout({
                "neuron": index(cfg.hidden_size),
                "yb": data.ArrayLayout(signed(cfg.yb_width), cfg.slots)}), always_ready=True)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        bits, hidden, layers, slots = cfg.bnn_bits, cfg.hidden_size, range(cfg.layers), cfg.slots
        kmax = cfg.max_row_length
        base, depth = row_layout(cfg, cfg.bnn_cycles)
        kb = by_layer(self.layer, [cfg.bnn_cycles(n) for n in layers])
        klen = by_layer(self.layer, [cfg.row_length(n) for n in layers])
        m.submodules.signs = mem = Memory(shape=bits, depth=depth, init=[],
                                          attrs={"ram_style": "block"})
        write = mem.write_port()
        read = mem.read_port(transparent_for=(write,))

        # sign write: read-modify-write of the loaded weight's word, as hw/bnn.py
        word, bit = _word_and_bit(self.load.p.col, bits, kmax)
        lay = self.load.p.layer
        load_addr = row_address(cfg, cfg.bnn_cycles, lay, self.load.p.row) + word
        in_row = self.load.p.col < by_layer(lay, [cfg.row_length(n) for n in layers])
        l_valid, l_sign = Signal(), Signal()
        l_addr, l_bit = Signal.like(read.addr), Signal(range(bits))
        m.d.sync += [l_valid.eq(self.load.valid & in_row), l_addr.eq(load_addr),
                     l_bit.eq(bit), l_sign.eq(self.load.p.sign)]
        updated = Signal(bits)
        m.d.comb += [updated.eq(read.data), updated.bit_select(l_bit, 1).eq(l_sign),
                     write.addr.eq(l_addr), write.data.eq(updated), write.en.eq(l_valid)]

        # walker: (neuron, chunk) rounds over the active slots; rows are Kb consecutive words
        walking = Signal()
        neuron = Signal(index(hidden))
        c = Signal(index(max(cfg.bnn_cycles(n) for n in layers)))
        addr = Signal(range(max(depth, 2)))
        left = Signal(slots)                    # the slots of this round not yet taken
        one = lowest(left)
        rest = left & ~one
        with m.If(self.start):
            m.d.sync += [walking.eq(1), neuron.eq(0), c.eq(0), left.eq(self.active),
                         addr.eq(by_layer(self.layer, base))]
        with m.Elif(walking):
            with m.If(rest != 0):
                m.d.sync += left.eq(rest)
            with m.Else():
                m.d.sync += left.eq(self.active)
                with m.If(c != kb - 1):
                    m.d.sync += [c.eq(c + 1), addr.eq(addr + 1)]
                with m.Elif(neuron != hidden - 1):
                    m.d.sync += [c.eq(0), addr.eq(addr + 1), neuron.eq(neuron + 1)]
                with m.Else():
                    m.d.sync += [c.eq(0), neuron.eq(0), walking.eq(0)]
        first_of_round = left == self.active
        m.d.comb += [read.addr.eq(Mux(walking, addr, load_addr)),
                     read.en.eq(~walking | first_of_round),      # one read a round
                     self.lookup.eq(walking & (c == 0) & first_of_round),
                     self.lookup_neuron.eq(neuron)]

        def last_mask(n):      # real columns of the last chunk of layer n's rows
            return (1 << (cfg.row_length(n) - (cfg.bnn_cycles(n) - 1) * bits)) - 1

        # stage 1: the slot's input sign chunk and the padding mask, aligned with the read
        chunks = -(-kmax // bits)
        slot = encode(one, slots)
        pieces = []
        for s in range(slots):
            padded = Cat(self.signs[s * kmax:(s + 1) * kmax], Const(0, chunks * bits - kmax))
            pieces += [padded[k * bits:(k + 1) * bits] for k in range(chunks)]
        s_valid, s_first, s_final = Signal(), Signal(), Signal()
        s_neuron, s_slot = Signal(index(hidden)), Signal.like(slot)
        s_signs, s_mask = Signal(bits), Signal(bits)
        pick = slot * chunks + c
        m.d.sync += [
            s_valid.eq(walking), s_first.eq(c == 0), s_neuron.eq(neuron), s_slot.eq(slot),
            s_final.eq(walking & (c == kb - 1) & (rest == 0)),
            s_signs.eq(Array(pieces)[pick] if len(pieces) > 1 else pieces[0]),
            s_mask.eq(Mux(c == kb - 1, by_layer(self.layer, [last_mask(n) for n in layers]),
                          (1 << bits) - 1)),
        ]
        # stage 2: XNOR + popcount, accumulated per slot over the neuron's chunks
        matches = ~(read.data ^ s_signs) & s_mask
        count = tree_sum(matches[k] for k in range(bits))
        popcount = Array(Signal(range(kmax + 1), name=f"popcount{s}") for s in range(slots))
        with m.If(s_valid):
            m.d.sync += popcount[s_slot].eq(Mux(s_first, 0, popcount[s_slot]) + count)
        m.d.sync += [self.o.valid.eq(s_valid & s_final), self.o.p.neuron.eq(s_neuron)]
        m.d.comb += [self.o.p.yb[s].eq(2 * popcount[s] - klen) for s in range(slots)]
        return m
