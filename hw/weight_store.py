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
    ``bias_addr`` (in, ``layer * H + neuron``) -> ``bias_data`` and, ``pair`` only,
    ``bias_h_data`` (``b_hn``) one cycle later. (The memories are named ``weights``, ``bias`` and
    ``bias_h`` in the Verilog, as synth/units.py counts them; no port may take those names.)
Throughput: one load, one weight read and one bias read per cycle, independent of each other.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from core.layout import BIAS, BIAS_HN, KIND_BITS, WEIGHT
from hw.arith import by_layer, divmod_const, index
from hw.rows import column_address, column_words, row_address, row_layout


def load_layout(cfg):
    """Payload of a compute unit's load port (the weight address decoded, and the value)."""
    return data.StructLayout({
        "kind": KIND_BITS, "layer": index(cfg.layers), "row": index(cfg.hidden_size),
        "col": index(cfg.max_row_length), "data": signed(cfg.weight_format.width)})


class WeightStore(wiring.Component):
    def __init__(self, cfg, pair: bool = False, *, signs_apart: bool = False,
                 columns: bool = False):
        self.cfg = cfg
        self.pair = pair
        self.signs_apart = signs_apart
        self.columns = columns
        self.depth = (column_words(cfg) if columns else row_layout(cfg, cfg.dpu_cycles))[1]
        wshape = signed(cfg.weight_format.width)
        super().__init__({
            **({"w_signs": In(cfg.lanes)} if signs_apart else {}),
            "load": In(stream.Signature(load_layout(cfg), always_ready=True)),
            "row_addr": In(range(max(self.depth, 2))),
            "w": Out(data.ArrayLayout(wshape, cfg.lanes)),
            "bias_addr": In(index(cfg.layers * cfg.hidden_size)),
            "bias_data": Out(wshape), "bias_h_data": Out(wshape),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        n, ww, entries = cfg.lanes, cfg.weight_format.width, cfg.layers * cfg.hidden_size
        stored = ww - 1 if self.signs_apart else ww        # bits of a weight in this memory
        ld = self.load.p
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
        if self.signs_apart:
            m.d.comb += self.w.eq(Cat(Cat(read.data.word_select(k, stored), self.w_signs[k])
                                      for k in range(n)))
        else:
            m.d.comb += self.w.eq(read.data)
        biases = [("bias", BIAS, self.bias_data)] + ([("bias_h", BIAS_HN, self.bias_h_data)]
                                                      if self.pair else [])
        for name, kind, out in biases:
            m.submodules[name] = mem = Memory(shape=signed(ww), depth=entries, init=[])
            bwrite, bread = mem.write_port(), mem.read_port()
            m.d.comb += [bwrite.addr.eq(ld.layer * cfg.hidden_size + ld.row),
                         bwrite.data.eq(ld.data), bwrite.en.eq(self.load.valid & (ld.kind == kind)),
                         bread.addr.eq(self.bias_addr), out.eq(bread.data)]
        return m
