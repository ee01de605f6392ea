"""Batched accelerator (E-BATCH, docs/architecture.md "The batched build"): ``BatchTop(cfg)``,
S = ``cfg.slots`` sequence slots sharing every weight read, predictor ``none`` (baseline) or
``bnn`` (memo: each slot with its own memo entries and BNN inputs, hw/batch_memo.py).

Ports
    ``x`` (in stream): ``data``, ``slot``, ``first``, ``end``, ``go``: a batch step's inputs,
    slot by slot, X elements each (element 0 of a slot's vector carries ``first``: the slot's
    sequence starts, its h and c of every layer are reset; and ``end``: this is the sequence's
    last step). ``go`` on the step's last element starts the batch step with the slots that
    received a vector (the active slots). Ready only between batch steps.
    ``h`` (out stream): ``data``, ``slot``, ``last``, ``end``: the last layer's h_t of each
    active slot in increasing slot order, H elements each, ``last`` on element H-1, ``end``
    (the end-of-sequence notification) on every element of a sequence's last step.
    ``wl`` (in stream): the weight load port (core/layout.py), ready between batch steps.
    ``busy`` (out); ``cycles`` (out): the layer-step cycles of every batch step so far;
    ``slot_cycles`` (out, one per slot): the cycles of the batch steps the slot's sequence
    was active in, from its first (the counters of golden.batch: ``BatchRun.slot_cycles``);
    ``computed_<gate>``, ``reused_<gate>`` (out, one per slot): the gate-neuron evaluations of
    the slot's sequence (``BatchRun.computed``, ``reused``), cleared when a sequence starts.
    Memo build: ``theta``, ``mode_abs`` (in), the reuse test's controls (hw/schemes/bnn.py's).
Timing: a layer step counts from its ``start`` cycle to the cycle the cell unit's ``done`` is
seen, as in the unbatched build; golden.batch.step_cycles predicts it exactly.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.arith import index
from hw.batch_cell import BatchCellUnit
from hw.batch_cu import BatchComputeUnit
from hw.batch_memo import memo_controls
from hw.batch_sequencer import encode, lowest
from hw.top import load_gate, weight_fields


def batch_top_signature(cfg) -> wiring.Signature:
    dshape, count = signed(cfg.data_format.width), unsigned(cfg.counter_width)
    slot = index(cfg.slots)
    return wiring.Signature({
        "x": In(stream.Signature(data.StructLayout({"data": dshape, "slot": slot, "first": 1,
                                                    "end": 1, "go": 1}))),
        "h": Out(stream.Signature(data.StructLayout({"data": dshape, "slot": slot, "last": 1,
                                                     "end": 1}))),
        "wl": In(stream.Signature(data.StructLayout({
            "addr": cfg.weight_address_bits, "data": signed(cfg.weight_format.width)}))),
        **({name: In(shape) for name, shape in memo_controls(cfg).items()} if cfg.memo else {}),
        "busy": Out(1), "cycles": Out(count),
        "slot_cycles": Out(data.ArrayLayout(count, cfg.slots)),
        **{f"{kind}_{name}": Out(data.ArrayLayout(count, cfg.slots))
           for kind in ("computed", "reused") for name in cfg.gate_names},
    })


class BatchTop(wiring.Component):
    def __init__(self, cfg):
        if cfg.predictor not in ("none", "bnn"):
            raise ValueError("the batched top level is built for predictors none and bnn")
        self.cfg = cfg
        super().__init__(batch_top_signature(cfg))

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        xs, hidden, layers, slots = cfg.input_size, cfg.hidden_size, cfg.layers, cfg.slots
        dshape, kmax = signed(cfg.data_format.width), cfg.max_row_length
        m.submodules.cell = self.cell = cell = BatchCellUnit(cfg)
        cus = [BatchComputeUnit(cfg, g) for g in range(cfg.gates)]

        # the step's inputs, the slots that have one, and their first / end flags
        xbuf = Signal(data.ArrayLayout(dshape, slots * xs))
        x_index = Signal(index(xs))
        active, first, end = Signal(slots), Signal(slots), Signal(slots)
        layer = Signal(index(layers))
        start, idle = Signal(), Signal()
        m.d.comb += [self.x.ready.eq(idle), self.wl.ready.eq(idle), self.busy.eq(~idle)]
        go = Signal()
        with m.If(self.x.valid & idle):
            s = self.x.p.slot
            m.d.sync += [xbuf[s * xs + x_index].eq(self.x.p.data),
                         x_index.eq(Mux(x_index == xs - 1, 0, x_index + 1)),
                         active.bit_select(s, 1).eq(1)]
            with m.If(x_index == 0):
                m.d.sync += [first.bit_select(s, 1).eq(self.x.p.first),
                             end.bit_select(s, 1).eq(self.x.p.end)]
            m.d.comb += go.eq(self.x.p.go)

        # v of every slot: [x or the lower layer's h, the layer's own h], zero-padded
        per_slot = layers * hidden
        clear = Signal(slots)
        v = Signal(data.ArrayLayout(dshape, slots * kmax))
        for s in range(slots):
            state = [cell.h_state[s * per_slot + e] for e in range(per_slot)]
            parts = []
            for k in range(layers):
                lower = (Cat(xbuf[s * xs + q] for q in range(xs)) if k == 0
                         else Cat(state[(k - 1) * hidden:k * hidden]))
                own = Cat(state[k * hidden:(k + 1) * hidden])
                if k == 0:                       # a slot whose sequence starts: h = 0
                    own = own & ~clear[s].replicate(len(own))
                vec = Cat(lower, own)
                pad = kmax * dshape.width - len(vec)
                parts.append(Cat(vec, Const(0, pad)) if pad else vec)
            word = parts[0]
            for k in range(1, layers):
                word = Mux(layer == k, parts[k], word)
            with m.If(start):
                m.d.sync += v.as_value().word_select(s, kmax * dshape.width).eq(word)

        # the output: the last layer's h of each active slot
        left = Signal(slots)
        o_index = Signal(index(hidden))
        one = lowest(left)
        o_slot = encode(one, slots)
        top_h = (layers - 1) * hidden
        m.d.comb += [self.h.p.slot.eq(o_slot), self.h.p.last.eq(o_index == hidden - 1),
                     self.h.p.end.eq((end & one).any()),
                     self.h.p.data.eq(cell.h_state.as_value().word_select(
                         o_slot * per_slot + top_h + o_index, dshape.width).as_signed())]

        counting = Signal()
        with m.FSM(name="fsm"):
            with m.State("IDLE"):
                m.d.comb += idle.eq(1)
                with m.If(self.x.valid & go):
                    m.d.sync += layer.eq(0)
                    m.next = "START"
            with m.State("START"):
                m.d.comb += [start.eq(1), counting.eq(1),
                             clear.eq(Mux(layer == 0, first, 0))]
                m.next = "RUN"
            with m.State("RUN"):
                m.d.comb += counting.eq(1)
                with m.If(cell.done):
                    with m.If(layer == layers - 1):
                        m.d.sync += [left.eq(active), o_index.eq(0)]
                        m.next = "OUTPUT"
                    with m.Else():
                        m.d.sync += layer.eq(layer + 1)
                        m.next = "START"
            with m.State("OUTPUT"):
                m.d.comb += self.h.valid.eq(1)
                with m.If(self.h.ready):
                    m.d.sync += o_index.eq(o_index + 1)
                    with m.If(o_index == hidden - 1):
                        m.d.sync += [o_index.eq(0), left.eq(left & ~one)]
                        with m.If((left & ~one) == 0):
                            m.d.sync += [active.eq(0), first.eq(0), end.eq(0)]
                            m.next = "IDLE"

        # counters: every layer-step cycle; per slot, those of its sequence's batch steps
        with m.If(counting):
            m.d.sync += self.cycles.eq(self.cycles + 1)
        for s in range(slots):
            fresh = start & (layer == 0) & first[s]
            with m.If(fresh):
                m.d.sync += self.slot_cycles[s].eq(1)
            with m.Elif(counting & active[s]):
                m.d.sync += self.slot_cycles[s].eq(self.slot_cycles[s] + 1)
            # per slot and gate, the neuron evaluations of its sequence (pulses come after start)
            for name, cu in zip(cfg.gate_names, cus, strict=True):
                for kind in ("computed", "reused"):
                    total = getattr(self, f"{kind}_{name}")[s]
                    m.d.sync += total.eq(Mux(fresh, 0, total + getattr(cu, kind)[s]))

        # weight load port: the address fields of core/layout.py, as hw/top.py decodes them
        fields = weight_fields(cfg, self.wl)
        accept = (self.wl.valid & idle & (fields["row"] < hidden) & (fields["layer"] < layers))
        for g, (name, cu) in enumerate(zip(cfg.gate_names, cus, strict=True)):
            m.submodules[f"cu_{name}"] = cu
            m.d.comb += [
                *load_gate(cu, g, accept, fields, self.wl.p.data),
                cu.start.eq(start), cu.layer.eq(layer), cu.active.eq(active), cu.v.eq(v),
                cu.clear.eq(clear), cu.y_addr.eq(cell.y_addr), cell.y[g].eq(cu.y),
            ]
            if cfg.memo:
                m.d.comb += [getattr(cu, c).eq(getattr(self, c)) for c in memo_controls(cfg)]
        m.d.comb += [cell.start.eq(start), cell.layer.eq(layer), cell.active.eq(active),
                     cell.clear.eq(clear), cell.done_bits.eq(Cat(cu.done for cu in cus)),
                     cell.y_h.eq(cus[-1].y_h)]
        return m
