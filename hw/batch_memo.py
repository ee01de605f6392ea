"""Batched fuzzy memoization (E-BATCH memo build, predictor ``bnn``; docs/architecture.md "The
batched build"): the batched BNN unit, one memo buffer and one comparator per slot, the
registered decision and the compute queue of (neuron, computing slots).

Each slot has its own memo entries (``y_m``, ``yb_m``, valid bits, reuse counts: a
hw/memo.py ``MemoBuffer`` per slot) and its own BNN inputs (its v's signs); the sign plane is
read once per chunk for all the active slots (hw/batch_bnn.py). A slot whose sequence starts
(``clear``) invalidates its own entries only, so its first step computes every neuron.

Ports
    ``load`` (in, always ready): the compute unit's load port (the BNN keeps the weights' signs).
    ``start``, ``layer``, ``active`` (S bits), ``v`` (every slot's [x, h]): the step's, as
    hw/batch_cu.py's; ``clear`` (in, S bits, with ``start``): those slots' entries become
    invalid. ``theta``, ``mode_abs`` (in): the reuse test's controls, as hw/schemes/bnn.py's.
    ``queue`` (out stream): ``neuron`` and ``slots``: a neuron and the slots that compute it.
    ``result`` (in, always ready): the dot path's ``neuron``, ``slot``, ``y``, ``y_h``, stored
    in that slot's ``y_m``; ``final`` (in, with it): the neuron's last computing slot.
    ``done`` (out, H bits): neuron j's outputs of every active slot are in the buffers.
    ``y_addr`` (in: ``slot``, ``neuron``) -> ``y``, ``y_h`` (out) one cycle later.
    ``computed``, ``reused`` (out, S bits): pulses at the decision, per slot.
Timing (Kb = ``cfg.bnn_cycles(layer)``, a = the active slots): the decisions of neuron j for
every active slot are registered at ``d_j = LAT_BNN + (j+1)*Kb*a``; if every slot reuses it,
``done[j]`` is set at ``d_j + LAT_REUSE``; otherwise (neuron, computing slots) enters the queue
(H deep, never full) and its first chunk is read at ``d_j + LAT_QUEUE`` at the earliest
(golden.batch.step_cycles).
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from core.layout import WEIGHT
from hw.arith import index
from hw.batch_bnn import BatchBNNUnit
from hw.batch_dot_path import batch_result_layout
from hw.batch_sequencer import queue_layout
from hw.comparator import Comparator
from hw.memo import MemoBuffer
from hw.weight_store import load_layout


def memo_controls(cfg) -> dict:
    """The batched memo build's run-time controls: name -> shape."""
    return {"theta": unsigned(cfg.theta_format.width), "mode_abs": 1}


class BatchMemo(wiring.Component):
    def __init__(self, cfg, pair: bool = False):
        self.cfg = cfg
        self.pair = pair
        dshape, slots = signed(cfg.data_format.width), cfg.slots
        super().__init__({
            "load": In(stream.Signature(load_layout(cfg), always_ready=True)),
            "start": In(1), "layer": In(index(cfg.layers)), "active": In(slots),
            "clear": In(slots),
            "v": In(data.ArrayLayout(dshape, slots * cfg.max_row_length)),
            **{name: In(shape) for name, shape in memo_controls(cfg).items()},
            "queue": Out(stream.Signature(queue_layout(cfg))),
            "result": In(stream.Signature(batch_result_layout(cfg), always_ready=True)),
            "final": In(1),
            "done": Out(cfg.hidden_size),
            "y_addr": In(data.StructLayout({"slot": index(slots),
                                            "neuron": index(cfg.hidden_size)})),
            "y": Out(dshape), "y_h": Out(dshape),
            "computed": Out(slots), "reused": Out(slots),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        hidden, slots, kmax, layer = cfg.hidden_size, cfg.slots, cfg.max_row_length, self.layer
        ld, r = self.load.p, self.result.p

        m.submodules.bnn = bnn = BatchBNNUnit(cfg)
        m.d.comb += [
            bnn.load.valid.eq(self.load.valid & (ld.kind == WEIGHT)),
            bnn.load.p.layer.eq(ld.layer), bnn.load.p.row.eq(ld.row), bnn.load.p.col.eq(ld.col),
            bnn.load.p.sign.eq(ld.data[-1]),
            bnn.start.eq(self.start), bnn.layer.eq(layer), bnn.active.eq(self.active),
            bnn.signs.eq(Cat(self.v[k][-1] for k in range(slots * kmax))),
        ]
        # the entries are looked up at the neuron's first sign word, held in the comparators
        lookup_ready = Signal()
        m.d.sync += lookup_ready.eq(bnn.lookup)
        decide = Signal()
        d_neuron = Signal(index(hidden))
        reuse = Signal(slots)
        m.d.sync += [decide.eq(bnn.o.valid), d_neuron.eq(bnn.o.p.neuron)]
        y_slot = Signal(index(slots))
        m.d.sync += y_slot.eq(self.y_addr.slot)
        ys, y_hs = [], []
        for s in range(slots):
            memo = MemoBuffer(cfg, self.pair)
            comparator = Comparator(cfg)
            m.submodules[f"memo{s}"], m.submodules[f"comparator{s}"] = memo, comparator
            d_yb, d_yb_m = Signal(signed(cfg.yb_width)), Signal(signed(cfg.yb_width))
            d_count = Signal(unsigned(cfg.reuse_count_width))
            m.d.sync += [reuse[s].eq(comparator.reuse & self.active[s]), d_yb.eq(bnn.o.p.yb[s]),
                         d_yb_m.eq(comparator.held_yb_m), d_count.eq(comparator.held_count)]
            m.d.comb += [
                memo.clear.eq(self.clear[s]), memo.layer.eq(layer),
                memo.lookup_addr.eq(layer * hidden + bnn.lookup_neuron),
                comparator.hold.eq(lookup_ready), comparator.yb_m.eq(memo.yb_m),
                comparator.reuse_count.eq(memo.reuse_count), comparator.yb.eq(bnn.o.p.yb[s]),
                comparator.valid.eq(memo.valid), comparator.theta.eq(self.theta),
                comparator.mode_abs.eq(self.mode_abs),
                memo.update.valid.eq(decide & self.active[s]),
                memo.update.p.addr.eq(layer * hidden + d_neuron),
                memo.update.p.yb_m.eq(Mux(reuse[s], d_yb_m, d_yb)),
                memo.update.p.reuse_count.eq(Mux(reuse[s], d_count + 1, 0)),
                memo.update.p.last.eq(d_neuron == hidden - 1),
                memo.y_write.valid.eq(self.result.valid & (r.slot == s)),
                memo.y_write.p.addr.eq(layer * hidden + r.neuron),
                memo.y_write.p.y.eq(r.y), memo.y_write.p.y_h.eq(r.y_h),
                memo.y_addr.eq(layer * hidden + self.y_addr.neuron),
            ]
            ys.append(memo.y)
            y_hs.append(memo.y_h)
        m.d.comb += [self.y.eq(Array(ys)[y_slot]), self.y_h.eq(Array(y_hs)[y_slot])]

        compute = Signal(slots)
        m.d.comb += compute.eq(Mux(decide, self.active & ~reuse, 0))
        m.submodules.queue = queue = SyncFIFO(width=queue_layout(cfg).size, depth=hidden)
        m.d.comb += [
            queue.w_en.eq(compute != 0), queue.w_data.eq(Cat(d_neuron, compute)),
            self.queue.valid.eq(queue.r_rdy), self.queue.p.eq(queue.r_data),
            queue.r_en.eq(self.queue.ready),
            self.computed.eq(compute), self.reused.eq(Mux(decide, reuse, 0)),
        ]
        with m.If(self.start):
            m.d.sync += self.done.eq(0)
        with m.Else():
            with m.If(self.result.valid & self.final):
                m.d.sync += self.done.bit_select(r.neuron, 1).eq(1)
            with m.If(decide & (compute == 0)):
                m.d.sync += self.done.bit_select(d_neuron, 1).eq(1)
        return m
