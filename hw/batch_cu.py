"""Batched compute unit of one gate (E-BATCH, docs/architecture.md "The batched build"): the
weight store read once a round, the batched row sequencer, the batched dot-product path, and
either (predictor ``none``) every neuron queued in order and the gate output buffer of every
slot, or (predictor ``bnn``) the batched memo scheme (hw/batch_memo.py), which queues each
neuron with the slots that compute it and holds every slot's outputs in its memo entries.

Ports
    ``load`` (in, always ready): as hw/cu.py's.
    ``start`` (in): pulse that starts a layer step of ``layer`` (held during the step) for the
    slots of ``active`` (in, S bits, held during the step, at least one set); ``v`` (in): every
    slot's input vector [x, h], slot s at words ``s * max_row_length ...``, stable during the
    step.
    ``done`` (out, H bits): neuron j's outputs of every active slot are in the buffer; cleared
    by ``start``.
    ``y_addr`` (in: ``slot``, ``neuron``) -> ``y``, ``y_h`` (out) one cycle later.
    ``clear`` (in, S bits, with ``start``; memo build): those slots' memo entries become invalid.
    ``theta``, ``mode_abs`` (in, memo build): the reuse test's controls.
    ``computed``, ``reused`` (out, S bits): one pulse per neuron and slot, for the per-slot
    counters (baseline: computed at the neuron's first chunk; memo: both at the decision).
    ``sat_pre`` (out, 0..2): the MU's requantizes that saturated, with each result.
Schedule (Kd = ceil((X_l + H) / N), a = the active slots): neuron j's first chunk is issued at
``a_j = LAT_DPU_START + j * Kd * a`` and ``done[j]`` rises ``Kd * a + LAT_MU`` cycles later;
the weight memory is read Kd times a neuron, whatever a is (golden.batch.step_cycles). The
memo build's schedule is hw/batch_memo.py's.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.arith import index
from hw.batch_dot_path import BatchDotPath
from hw.batch_memo import BatchMemo, memo_controls
from hw.batch_sequencer import BatchRowSequencer
from hw.dot_path import LATENCY as DOT_LATENCY
from hw.rows import row_address
from hw.weight_store import WeightStore, load_layout


class BatchComputeUnit(wiring.Component):
    def __init__(self, cfg, gate: int):
        if cfg.predictor not in ("none", "bnn"):
            raise ValueError("the batched compute unit is built for predictors none and bnn")
        self.cfg = cfg
        self.kind = cfg.gate_function(gate)
        dshape = signed(cfg.data_format.width)
        super().__init__({
            "load": In(stream.Signature(load_layout(cfg), always_ready=True)),
            "start": In(1), "layer": In(index(cfg.layers)), "active": In(cfg.slots),
            "clear": In(cfg.slots),
            "v": In(data.ArrayLayout(dshape, cfg.slots * cfg.max_row_length)),
            **({name: In(shape) for name, shape in memo_controls(cfg).items()}
               if cfg.memo else {}),
            "done": Out(cfg.hidden_size),
            "y_addr": In(data.StructLayout({"slot": index(cfg.slots),
                                            "neuron": index(cfg.hidden_size)})),
            "y": Out(dshape), "y_h": Out(dshape),
            "computed": Out(cfg.slots), "reused": Out(cfg.slots), "sat_pre": Out(2),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, pair = self.cfg, self.kind == "pair"
        m.submodules.weight_store = store = WeightStore(cfg, pair)
        m.submodules.sequencer = self.sequencer = seq = BatchRowSequencer(cfg)
        m.submodules.dot_path = dot = BatchDotPath(cfg, self.kind)
        m.d.comb += [store.load.valid.eq(self.load.valid), store.load.p.eq(self.load.p),
                     seq.start.eq(self.start), seq.layer.eq(self.layer),
                     dot.layer.eq(self.layer), dot.v.eq(self.v)]
        o = seq.o.p
        word = row_address(cfg, cfg.dpu_cycles, self.layer, o.neuron) + o.chunk
        if cfg.slots > 1:       # one slot: the same word is read again, no enable to hold it
            m.d.comb += store.read_en.eq(seq.o.valid & o.read)
        m.d.comb += [store.row_addr.eq(word),
                     dot.i.valid.eq(seq.o.valid), dot.i.p.eq(o),
                     dot.w.eq(store.w), store.bias_addr.eq(dot.bias_addr),
                     dot.bias.eq(store.bias_data), dot.bias_h.eq(store.bias_h_data),
                     self.sat_pre.eq(dot.sat)]
        if cfg.memo:
            self._memo(m, seq, dot)
        else:
            self._baseline(m, seq, dot)
        return m

    def _baseline(self, m, seq, dot):
        """Every neuron in order with the step's active slots; the gate output buffer."""
        cfg, pair = self.cfg, self.kind == "pair"
        hidden, dw = cfg.hidden_size, cfg.data_format.width
        walking, following = Signal(), Signal(index(hidden))
        neuron = Mux(self.start, 0, following)
        m.d.comb += [seq.queue.valid.eq(self.start | walking), seq.queue.p.neuron.eq(neuron),
                     seq.queue.p.slots.eq(self.active)]
        with m.If(seq.queue.valid & seq.queue.ready):
            m.d.sync += [walking.eq(neuron != hidden - 1), following.eq(neuron + 1)]
        o = seq.o.p
        # a baseline step computes every neuron in every active slot
        m.d.comb += self.computed.eq(Mux(seq.o.valid & o.first & o.read, self.active, 0))

        # the gate output buffer: slot s, neuron j at s * H + j
        m.submodules.gate_out = ybuf = Memory(shape=unsigned(2 * dw if pair else dw),
                                              depth=cfg.slots * hidden, init=[])
        write, read = ybuf.write_port(), ybuf.read_port()
        r = dot.o.p
        m.d.comb += [write.addr.eq(r.slot * hidden + r.neuron), write.en.eq(dot.o.valid),
                     write.data.eq(Cat(r.y, r.y_h) if pair else r.y),
                     read.addr.eq(self.y_addr.slot * hidden + self.y_addr.neuron),
                     self.y.eq(read.data[:dw].as_signed())]
        if pair:
            m.d.comb += self.y_h.eq(read.data[dw:].as_signed())
        # neuron j is done with the result of the step's highest active slot
        top = 0
        for s in range(1, cfg.slots):
            top = Mux(self.active[s], s, top)
        with m.If(self.start):
            m.d.sync += self.done.eq(0)
        with m.Elif(dot.o.valid & (r.slot == top)):
            m.d.sync += self.done.bit_select(r.neuron, 1).eq(1)

    def _memo(self, m, seq, dot):
        """The batched memo scheme decides which slots compute each neuron (hw/batch_memo.py)
        and holds the outputs; the sequencer's ``final`` travels beside the dot path."""
        cfg = self.cfg
        m.submodules.memo = memo = BatchMemo(cfg, self.kind == "pair")
        m.d.comb += [memo.load.valid.eq(self.load.valid), memo.load.p.eq(self.load.p)]
        for name in ("start", "layer", "active", "clear", "v", "y_addr",
                     *memo_controls(cfg)):
            m.d.comb += getattr(memo, name).eq(getattr(self, name))
        wiring.connect(m, memo.queue, seq.queue)
        final = seq.o.valid & seq.o.p.final
        for k in range(DOT_LATENCY):
            reg = Signal(name=f"final_d{k + 1}")
            m.d.sync += reg.eq(final)
            final = reg
        m.d.comb += [memo.result.valid.eq(dot.o.valid), memo.result.p.eq(dot.o.p),
                     memo.final.eq(final),
                     self.done.eq(memo.done), self.y.eq(memo.y), self.y_h.eq(memo.y_h),
                     self.computed.eq(memo.computed), self.reused.eq(memo.reused)]
