"""Fuzzy memoization with a BNN predictor (predictor ``bnn``): the BNN unit, the comparator, the
memo buffer, the registered decision and the compute queue.

Ports: those of :class:`hw.schemes.base.Scheme`, queued, with the controls ``theta`` (theta
format), ``mode_abs`` (1: absolute reuse test) and ``memo_enable`` (0: every neuron in order,
exactly the baseline's schedule, nothing reused). The gate output buffer is the memo buffer's
``y_m`` (``layer * H + neuron``), so a reused neuron's output is already there.
Timing (cycles after ``start``, Kb = ``cfg.bnn_cycles(layer)``): the BNN's yb of neuron j is out
at ``2 + (j+1)*Kb``; the comparator's decision is registered at ``d_j = core.timing.LAT_BNN +
(j+1)*Kb``, and from there acted on: a reused neuron's ``done`` bit is set at
``d_j + LAT_REUSE``; a computed one is pushed into the queue (H deep, never full), which the row
sequencer pops no earlier than ``d_j + 1`` (first chunk read at ``d_j + LAT_QUEUE``). One decision
per Kb cycles, never stalls. ``computed`` pulses at the decision (at ``issue`` with
``memo_enable = 0``), ``reused`` at the decision.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib.fifo import SyncFIFO

from core.layout import WEIGHT
from hw.arith import index
from hw.bnn import BNNUnit
from hw.comparator import Comparator
from hw.memo import MemoBuffer
from hw.schemes.base import Scheme


class BnnMemo(Scheme):
    name = "bnn"
    queued = True
    weight_signs = True       # the BNN unit's sign plane is the weights' MSBs (hw/bnn.py)

    @classmethod
    def controls(cls, cfg) -> dict:
        return {"theta": unsigned(cfg.theta_format.width), "mode_abs": 1, "memo_enable": 1}

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        hidden, layer, ld = cfg.intrinsic_size, self.layer, self.load.p
        done = self.track_done(m)

        # the memo buffer's y_m is the gate output buffer
        m.submodules.memo = memo = MemoBuffer(cfg, self.pair)
        m.d.comb += [
            memo.y_write.valid.eq(self.result.valid),
            memo.y_write.p.addr.eq(layer * hidden + self.result.p.neuron),
            memo.y_write.p.y.eq(self.result.p.y), memo.y_write.p.y_h.eq(self.result.p.y_h),
            memo.y_addr.eq(layer * hidden + self.y_addr),
            self.y.eq(memo.y), self.y_h.eq(memo.y_h),
        ]

        # BNN ahead of the DPU; the memo entry is looked up at the neuron's first BNN chunk
        m.submodules.bnn = bnn = BNNUnit(cfg)
        m.d.comb += [
            bnn.load.valid.eq(self.load.valid & (ld.kind == WEIGHT)),
            bnn.load.p.layer.eq(ld.layer), bnn.load.p.row.eq(ld.row), bnn.load.p.col.eq(ld.col),
            bnn.load.p.sign.eq(ld.data[-1]),
            bnn.start.eq(self.start & self.memo_enable), bnn.layer.eq(layer),
            bnn.signs.eq(Cat(self.v[k][-1] for k in range(cfg.max_row_length))),
            bnn.chunk.valid.eq(self.chunk.valid), bnn.chunk.p.eq(self.chunk.p),
            self.w_signs.eq(bnn.w_signs),
            *([bnn.low.eq(self.low)] if cfg.precision != "static" else []),
            memo.clear.eq(self.clear),
            memo.lookup_addr.eq(layer * hidden + bnn.issue_neuron),
            memo.layer.eq(layer),
        ]
        # the entry read at the neuron's first chunk is held (with theta * |yb_m|) in the
        # comparator until the BNN's decision
        m.submodules.comparator = comparator = Comparator(cfg)
        lookup_ready = Signal()
        m.d.sync += lookup_ready.eq(bnn.issue_first)
        m.d.comb += [
            comparator.hold.eq(lookup_ready), comparator.yb_m.eq(memo.yb_m),
            comparator.reuse_count.eq(memo.reuse_count),
            comparator.yb.eq(bnn.o.p.yb), comparator.valid.eq(memo.valid),
            comparator.theta.eq(self.theta), comparator.mode_abs.eq(self.mode_abs),
        ]
        # the decision is registered (one cycle after the BNN result) and acted on from there:
        # the comparator's subtract and compare do not reach the memo, queue and counters
        decide, reuse = Signal(), Signal()
        d_neuron = Signal(index(hidden))
        d_yb, d_yb_m = Signal(signed(cfg.yb_width)), Signal(signed(cfg.yb_width))
        d_count = Signal(unsigned(cfg.reuse_count_width))
        m.d.sync += [
            decide.eq(bnn.o.valid & self.memo_enable), reuse.eq(comparator.reuse),
            d_neuron.eq(bnn.o.p.neuron), d_yb.eq(bnn.o.p.yb),
            d_yb_m.eq(comparator.held_yb_m), d_count.eq(comparator.held_count),
        ]
        compute = decide & ~reuse
        m.submodules.queue = queue = SyncFIFO(width=len(self.queue.p), depth=hidden)
        m.d.comb += [
            memo.update.valid.eq(decide),
            memo.update.p.addr.eq(layer * hidden + d_neuron),
            memo.update.p.yb_m.eq(Mux(reuse, d_yb_m, d_yb)),
            memo.update.p.reuse_count.eq(Mux(reuse, d_count + 1, 0)),
            memo.update.p.last.eq(d_neuron == hidden - 1),
            queue.w_en.eq(compute), queue.w_data.eq(d_neuron),
            self.queue.valid.eq(queue.r_rdy), self.queue.p.eq(queue.r_data),
            queue.r_en.eq(self.queue.ready),
            self.in_order.eq(~self.memo_enable),
            self.computed.eq(Mux(self.memo_enable, compute, self.issue)),
            self.reused.eq(decide & reuse),
        ]
        with m.If(decide & reuse):
            m.d.sync += done.bit_select(d_neuron, 1).eq(1)
        return m
