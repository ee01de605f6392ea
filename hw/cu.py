"""Compute unit (CU) of one gate: weight buffer, DPU and MU, and (memo builds) the BNN unit,
comparator and memo buffer that decide which neurons the DPU may skip.

Ports
    ``load`` (in, always ready): ``kind`` (0 weight, 1 bias / ``b_in``, 2 ``b_hn``), ``layer``,
    ``row``, ``col``, ``data``: one parameter of this gate from the weight load port.
    ``start`` (in): pulse that starts a layer step of ``layer`` (held during the step); ``v``
    (the layer's input vector [x, h], stable during the step) is read from the next cycle on.
    ``clear`` (in): sequence start: every memo entry becomes invalid.
    ``theta``, ``mode_abs``, ``memo_enable`` (in, memo builds only): the reuse test's controls;
    ``memo_enable = 0`` schedules the DPU exactly as the baseline build and reuses nothing.
    ``done`` (out, H bits): neuron j's output of this step is in the output buffer.
    ``y_addr`` (in) -> ``y`` (and ``y_h`` for the GRU ``n`` pair) one cycle later.
    ``computed``, ``reused`` (out): one-cycle pulses per neuron evaluation, for the counters.
Schedule, cycles after ``start`` (Kd = ceil((X_l+H)/N), Kb = ceil((X_l+H)/B)):
    baseline: neuron j's first chunk is read at ``a_j = 1 + j*Kd``;
    memo: the BNN's yb of neuron j is out at ``2 + (j+1)*Kb`` and the comparator's decision
    is registered at ``d_j = 3 + (j+1)*Kb``; a reused neuron is done at ``d_j + 1``; a computed
    one enters the queue and its first chunk is read at ``a_j = max(a_{j-1} + Kd, d_j + 2)``.
    Either way ``done[j]`` is set ``Kd + 5`` cycles after ``a_j`` (weight read 1, DPU 2, MU 2,
    buffer write 1). The DPU reads one chunk per cycle with no bubble between neurons.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.arith import by_layer, divmod_const, index, mul_const
from hw.bnn import BNNUnit
from hw.comparator import Comparator
from hw.dpu import DotProductUnit
from hw.memo import MemoBuffer
from hw.mu import MultiFunctionUnit


def gate_kind(cfg, gate: int) -> str:
    """MU function of a gate: tanh for LSTM g, the pre-activation pair for GRU n, else sigmoid."""
    name = cfg.gate_names[gate]
    if cfg.cell == "lstm":
        return "tanh" if name == "g" else "sigmoid"
    return "pair" if name == "n" else "sigmoid"


def weight_layout(cfg):
    """Row bases of the weight buffer: layer l's neuron j chunk c is at base[l] + j*Kd_l + c."""
    base, depth = [], 0
    for layer in range(cfg.layers):
        base.append(depth)
        depth += cfg.hidden_size * cfg.dpu_cycles(layer)
    return base, depth


def load_layout(cfg):
    return data.StructLayout({
        "kind": 2, "layer": index(cfg.layers), "row": index(cfg.hidden_size),
        "col": index(cfg.max_row_length), "data": signed(cfg.weight_format.width)})


class ComputeUnit(wiring.Component):
    def __init__(self, cfg, gate: int):
        self.cfg = cfg
        self.gate = gate
        self.kind = gate_kind(cfg, gate)
        dshape = signed(cfg.data_format.width)
        ports = {
            "load": In(stream.Signature(load_layout(cfg), always_ready=True)),
            "start": In(1), "layer": In(index(cfg.layers)), "clear": In(1),
            "v": In(data.ArrayLayout(dshape, cfg.max_row_length)),
            "done": Out(cfg.hidden_size),
            "y_addr": In(index(cfg.hidden_size)), "y": Out(dshape), "y_h": Out(dshape),
            "computed": Out(1), "reused": Out(1),
        }
        if cfg.memo:
            ports.update({"theta": In(unsigned(cfg.theta_format.width)), "mode_abs": In(1),
                          "memo_enable": In(1)})
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        n, hidden, layers = cfg.lanes, cfg.hidden_size, range(cfg.layers)
        pair = self.kind == "pair"
        ww, dw = cfg.weight_format.width, cfg.data_format.width
        layer = self.layer
        kd = by_layer(layer, [cfg.dpu_cycles(k) for k in layers])
        kdmax = max(cfg.dpu_cycles(k) for k in layers)
        base, depth = weight_layout(cfg)

        # -- parameter memories, written by the load port ---------------------------------------
        m.submodules.weights = wmem = Memory(shape=unsigned(n * ww), depth=depth, init=[])
        wwrite, wread = wmem.write_port(granularity=ww), wmem.read_port()
        ld = self.load.p
        chunk, lane = divmod_const(ld.col, n)
        in_row = ld.col < by_layer(ld.layer, [cfg.row_length(k) for k in layers])
        m.d.comb += [
            wwrite.addr.eq(by_layer(ld.layer, [base[k] + mul_const(ld.row, cfg.dpu_cycles(k))
                                               for k in layers]) + chunk),
            wwrite.data.eq(ld.data.as_unsigned().replicate(n)),
            wwrite.en.eq(Cat(self.load.valid & (ld.kind == 0) & in_row).as_unsigned() << lane),
        ]
        m.submodules.bias = bmem = Memory(shape=signed(ww), depth=len(layers) * hidden, init=[])
        bwrite, bread = bmem.write_port(), bmem.read_port()
        m.d.comb += [bwrite.addr.eq(ld.layer * hidden + ld.row), bwrite.data.eq(ld.data),
                     bwrite.en.eq(self.load.valid & (ld.kind == 1))]
        if pair:
            m.submodules.bias_h = hmem = Memory(shape=signed(ww), depth=len(layers) * hidden,
                                                init=[])
            hwrite, hread = hmem.write_port(), hmem.read_port()
            m.d.comb += [hwrite.addr.eq(ld.layer * hidden + ld.row), hwrite.data.eq(ld.data),
                         hwrite.en.eq(self.load.valid & (ld.kind == 2))]

        # -- which neurons the DPU computes: all in order, or those the BNN sends to the queue --
        if cfg.memo:
            sequential = ~self.memo_enable
            m.submodules.queue = queue = SyncFIFO(width=max(1, (hidden - 1).bit_length()),
                                                  depth=hidden)
        else:
            sequential = 1
        active = Signal()
        neuron = Signal(index(hidden))
        c = Signal(index(kdmax))
        row = Signal(range(max(depth, 2)))
        last_chunk = c == kd - 1
        with m.If(self.start):
            m.d.sync += [c.eq(0), neuron.eq(0), active.eq(sequential),
                         row.eq(by_layer(layer, base))]
        with m.Elif(active & ~last_chunk):
            m.d.sync += [c.eq(c + 1), row.eq(row + 1)]
        with m.Elif(sequential):
            with m.If(active & (neuron != hidden - 1)):
                m.d.sync += [c.eq(0), row.eq(row + 1), neuron.eq(neuron + 1)]
            with m.Elif(active):       # done: addresses stay inside the memories
                m.d.sync += [c.eq(0), neuron.eq(0), active.eq(0)]
        if cfg.memo:
            with m.Else():
                m.d.comb += queue.r_en.eq(1)
                queued_row = by_layer(layer, [base[k] + mul_const(queue.r_data, cfg.dpu_cycles(k))
                                              for k in layers])
                m.d.sync += [c.eq(0), neuron.eq(queue.r_data), active.eq(queue.r_rdy),
                             row.eq(queued_row)]
        m.d.comb += wread.addr.eq(row)

        # stage 1 (aligned with the weight read): the input chunk
        s_valid, s_first, s_last = Signal(), Signal(), Signal()
        s_neuron = Signal(index(hidden))
        s_v = Signal(data.ArrayLayout(signed(dw), n))
        s_xmask = Signal(n)
        m.d.sync += [s_valid.eq(active), s_first.eq(c == 0), s_last.eq(last_chunk),
                     s_neuron.eq(neuron)]
        kmax = cfg.max_row_length
        for k in range(n):
            lane_inputs = [self.v[q * n + k] if q * n + k < kmax else 0 for q in range(kdmax)]
            m.d.sync += s_v[k].eq(Array(lane_inputs)[c] if kdmax > 1 else lane_inputs[0])
        if pair:
            xlen = by_layer(layer, [cfg.layer_input_size(k) for k in layers])
            m.d.sync += s_xmask.eq(Cat(c * n + k < xlen for k in range(n)))

        m.submodules.dpu = dpu = DotProductUnit(cfg, split=pair)
        m.d.comb += [dpu.i.valid.eq(s_valid), dpu.i.p.w.eq(wread.data), dpu.i.p.v.eq(s_v),
                     dpu.i.p.first.eq(s_first), dpu.i.p.last.eq(s_last),
                     dpu.i.p.xmask.eq(s_xmask)]

        # the neuron index travels beside the DPU and MU pipelines
        delay = [s_neuron]
        for k in range(4):
            reg = Signal(index(hidden), name=f"neuron_d{k + 2}")
            m.d.sync += reg.eq(delay[-1])
            delay.append(reg)
        m.d.comb += bread.addr.eq(layer * hidden + delay[1])
        m.submodules.mu = mu = MultiFunctionUnit(cfg, self.kind)
        m.d.comb += [mu.i.valid.eq(dpu.o.valid), mu.i.p.acc.eq(dpu.o.p.acc),
                     mu.i.p.acc_h.eq(dpu.o.p.acc_h), mu.i.p.bias.eq(bread.data)]
        if pair:
            m.d.comb += [hread.addr.eq(layer * hidden + delay[1]),
                         mu.i.p.bias_h.eq(hread.data)]
        out_neuron = delay[4]

        # -- gate output buffer (the memo's y_m in memo builds) ----------------------------------
        done = Signal(hidden)
        with m.If(self.start):
            m.d.sync += done.eq(0)
        with m.Elif(mu.o.valid):
            m.d.sync += done.bit_select(out_neuron, 1).eq(1)
        m.d.comb += self.done.eq(done)
        if cfg.memo:
            m.submodules.memo = memo = MemoBuffer(cfg, pair)
            ybuf_w, ybuf_addr = memo.y_write, memo.y_addr
            m.d.comb += [ybuf_w.p.addr.eq(layer * hidden + out_neuron),
                         ybuf_addr.eq(layer * hidden + self.y_addr)]
            ybuf_y, ybuf_yh = memo.y, memo.y_h
        else:
            m.submodules.gate_out = ybuf = Memory(shape=unsigned(2 * dw if pair else dw),
                                                  depth=hidden, init=[])
            yw, yr = ybuf.write_port(), ybuf.read_port()
            m.d.comb += [yw.addr.eq(out_neuron), yw.en.eq(mu.o.valid),
                         yw.data.eq(Cat(mu.o.p.y, mu.o.p.y_h) if pair else mu.o.p.y),
                         yr.addr.eq(self.y_addr)]
            ybuf_y = yr.data[:dw].as_signed()
            ybuf_yh = yr.data[dw:].as_signed() if pair else None
        m.d.comb += self.y.eq(ybuf_y)
        if pair:
            m.d.comb += self.y_h.eq(ybuf_yh)

        if not cfg.memo:
            m.d.comb += self.computed.eq(active & (c == 0))
            return m

        m.d.comb += [ybuf_w.valid.eq(mu.o.valid), ybuf_w.p.y.eq(mu.o.p.y),
                     ybuf_w.p.y_h.eq(mu.o.p.y_h)]

        # -- memo: BNN ahead of the DPU, comparator, memo entries --------------------------------
        m.submodules.bnn = bnn = BNNUnit(cfg)
        m.d.comb += [
            bnn.load.valid.eq(self.load.valid & (ld.kind == 0)),
            bnn.load.p.layer.eq(ld.layer), bnn.load.p.row.eq(ld.row), bnn.load.p.col.eq(ld.col),
            bnn.load.p.sign.eq(ld.data[-1]),
            bnn.start.eq(self.start & self.memo_enable), bnn.layer.eq(layer),
            bnn.signs.eq(Cat(self.v[k][-1] for k in range(kmax))),
            memo.clear.eq(self.clear),
            memo.lookup_addr.eq(layer * hidden + bnn.issue_neuron),
            memo.valid_addr.eq(layer * hidden + bnn.o.p.neuron),
        ]
        # the entry read at the neuron's first chunk is held (with theta * |yb_m|) in the
        # comparator until the BNN's decision
        m.submodules.comparator = comparator = Comparator(cfg)
        lookup_ready = Signal()
        m.d.sync += lookup_ready.eq(bnn.issue_first)
        held_yb_m, held_count = comparator.held_yb_m, comparator.held_count
        m.d.comb += [
            comparator.hold.eq(lookup_ready), comparator.yb_m.eq(memo.yb_m),
            comparator.reuse_count.eq(memo.reuse_count),
            comparator.yb.eq(bnn.o.p.yb), comparator.valid.eq(memo.valid),
            comparator.theta.eq(self.theta), comparator.mode_abs.eq(self.mode_abs),
        ]
        # the decision is registered (one cycle after the BNN result) and acted on from there:
        # the comparator's subtract and compare do not reach the memo, queue and counters
        decide = Signal()
        reuse = Signal()
        d_neuron = Signal(index(hidden))
        d_yb, d_yb_m = Signal(signed(cfg.yb_width)), Signal(signed(cfg.yb_width))
        d_count = Signal(unsigned(cfg.reuse_count_width))
        m.d.sync += [
            decide.eq(bnn.o.valid & self.memo_enable), reuse.eq(comparator.reuse),
            d_neuron.eq(bnn.o.p.neuron), d_yb.eq(bnn.o.p.yb), d_yb_m.eq(held_yb_m),
            d_count.eq(held_count),
        ]
        compute = decide & ~reuse
        m.d.comb += [
            memo.update.valid.eq(decide),
            memo.update.p.addr.eq(layer * hidden + d_neuron),
            memo.update.p.yb_m.eq(Mux(reuse, d_yb_m, d_yb)),
            memo.update.p.reuse_count.eq(Mux(reuse, d_count + 1, 0)),
            memo.update.p.set_valid.eq(compute),
            queue.w_en.eq(compute), queue.w_data.eq(d_neuron),
            self.computed.eq(Mux(self.memo_enable, compute, active & (c == 0))),
            self.reused.eq(decide & reuse),
        ]
        with m.If(decide & reuse):
            m.d.sync += done.bit_select(d_neuron, 1).eq(1)
        return m
