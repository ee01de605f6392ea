"""Compute unit (CU) of one gate: the weight store, the row sequencer, the dot-product path and
the gate's reuse scheme (hw/schemes/), joined.

Ports
    ``load`` (in, always ready): ``kind`` (core.layout: weight, bias / ``b_in``, ``b_hn``),
    ``layer``, ``row``, ``col``, ``data``: one parameter of this gate from the weight load port.
    ``start`` (in): pulse that starts a layer step of ``layer`` (held during the step); ``v``
    (the layer's input vector [x, h], stable during the step) is read from the next cycle on.
    ``clear`` (in): sequence start: every memo entry becomes invalid.
    The scheme's run-time controls (``scheme_class(cfg).controls(cfg)``; memo builds: ``theta``,
    ``mode_abs``, ``memo_enable``; ``memo_enable = 0`` schedules the DPU exactly as the baseline
    build and reuses nothing).
    ``done`` (out, H bits): neuron j's output of this step is in the output buffer.
    ``y_addr`` (in) -> ``y`` (and ``y_h`` for the GRU ``n`` pair) one cycle later.
    ``computed``, ``reused`` (out): one-cycle pulses per neuron evaluation, for the counters.
    ``sat_pre`` (out, 0..2): the MU's requantizes that saturated, with each computed result.
Schedule, cycles after ``start`` (Kd = ceil((X_l+H)/N), Kb = ceil((X_l+H)/B); core.timing):
    baseline: neuron j's first chunk is read at ``a_j = LAT_DPU_START + j*Kd``;
    memo: the comparator's decision on neuron j is registered at ``d_j = LAT_BNN + (j+1)*Kb``; a
    reused neuron is done at ``d_j + LAT_REUSE``; a computed one enters the queue and its first
    chunk is read at ``a_j = max(a_{j-1} + Kd, d_j + LAT_QUEUE)``.
    Either way ``done[j]`` is set ``Kd + LAT_MU`` cycles after ``a_j`` (weight read 1, DPU 2,
    MU 2, buffer write 1). The DPU reads one chunk per cycle with no bubble between neurons.
Precision builds (``cfg.precision != "static"``): ``low`` (in, the tracker's, held from
``start`` through the step) runs the step at low precision: Kd_low = ceil((X_l+H)/2N) in place
of Kd in the schedule above (hw/sequencer.py, hw/dot_path.py). The dot path reads ``v_words``
(in) instead of ``v``: v in a full step, its low data words two a word in a low step (the top
level rounds them once for every gate: ``hw.precision.low_word_pairs``). In a memo build the
weights' signs are the BNN sign plane's there too, 2N a cycle in a low step (hw/bnn.py).
A scheme that is the whole datapath (``datapath``; the delta build, hw/schemes/delta.py) takes
the place of the four parts: every port passes through to it, and its events (``changed``,
``unchanged``) are outputs too; its schedule is its own docstring's.
"""

from __future__ import annotations

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from hw.dot_path import DotPath
from hw.schemes import scheme_class
from hw.schemes.base import compute_unit_ports
from hw.sequencer import RowSequencer
from hw.weight_store import WeightStore


class ComputeUnit(wiring.Component):
    def __new__(cls, cfg, gate: int):
        scheme_class(cfg)      # checked before the object exists (a dropped one would warn)
        return super().__new__(cls)

    def __init__(self, cfg, gate: int):
        self.cfg = cfg
        self.gate = gate
        self.kind = cfg.gate_function(gate)
        self.scheme = scheme_class(cfg)
        ports = compute_unit_ports(cfg, self.scheme.controls(cfg), self.scheme.events(cfg))
        if cfg.precision != "static":
            ports["low"] = In(1)
            ports["v_words"] = In(ports["v"].shape)
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        cfg, pair = self.cfg, self.kind == "pair"
        if self.scheme.datapath:
            return self._whole(m)
        precision = cfg.precision != "static"
        # the scheme holds the weights' sign bits
        signs = self.scheme.weight_signs
        m.submodules.weight_store = store = WeightStore(cfg, pair, signs_apart=signs)
        m.submodules.sequencer = seq = RowSequencer(cfg, queued=self.scheme.queued)
        m.submodules.dot_path = dot = DotPath(cfg, self.kind)
        m.submodules.scheme = scheme = self.scheme(cfg, pair)

        for sink in (store.load, scheme.load):
            m.d.comb += [sink.valid.eq(self.load.valid), sink.p.eq(self.load.p)]
        for port in (seq, dot, scheme):
            m.d.comb += port.layer.eq(self.layer)
        m.d.comb += [seq.start.eq(self.start), scheme.start.eq(self.start),
                     scheme.clear.eq(self.clear), scheme.v.eq(self.v),
                     dot.v.eq(self.v_words if precision else self.v)]
        m.d.comb += [getattr(scheme, name).eq(getattr(self, name))
                     for name in self.scheme.controls(cfg)]

        # weights of the sequencer's row come to the dot-product path a cycle later
        wiring.connect(m, seq.o, dot.i)
        m.d.comb += [store.row_addr.eq(seq.row_addr), dot.w.eq(store.w),
                     store.bias_addr.eq(dot.bias_addr), dot.bias.eq(store.bias_data),
                     dot.bias_h.eq(store.bias_h_data)]
        if precision:
            m.d.comb += [seq.low.eq(self.low), dot.low.eq(self.low), store.half.eq(seq.half),
                         dot.w_low.eq(store.w_low)]
        # the scheme decides which neurons the sequencer reads, and stores the outputs
        if self.scheme.queued:
            wiring.connect(m, scheme.queue, seq.queue)
            m.d.comb += seq.in_order.eq(scheme.in_order)
        if signs:
            m.d.comb += [scheme.chunk.valid.eq(seq.o.valid), scheme.chunk.p.eq(seq.o.p),
                         store.w_signs.eq(scheme.w_signs)]
            if precision:
                m.d.comb += scheme.low.eq(self.low)
        wiring.connect(m, dot.o, scheme.result)
        m.d.comb += [scheme.issue.eq(seq.o.valid & seq.o.p.first),
                     scheme.y_addr.eq(self.y_addr), self.y.eq(scheme.y), self.y_h.eq(scheme.y_h),
                     self.done.eq(scheme.done), self.computed.eq(scheme.computed),
                     self.reused.eq(scheme.reused), self.sat_pre.eq(dot.sat)]
        return m

    def _whole(self, m):
        """A scheme that is the whole datapath: every port passes through."""
        m.submodules.scheme = scheme = self.scheme(self.cfg, self.kind)
        for name, member in self.signature.members.items():
            ours, its = getattr(self, name), getattr(scheme, name)
            if member.is_signature:
                wiring.connect(m, wiring.flipped(ours), its)
            elif member.flow == wiring.In:
                m.d.comb += its.eq(ours)
            else:
                m.d.comb += ours.eq(its)
        return m
