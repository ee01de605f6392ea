"""Delta networks on the layer input (predictor ``delta``), EdgeDRNN-style: the compute unit's
whole datapath, column-major.

The row-major DPU of the other builds reads N columns of one neuron's row a cycle; skipping the
unchanged columns of a row would need N arbitrary columns a cycle. This build turns the weights
around: a word holds one column's weights of N neurons (``hw.rows.column_words``), so a changed
element k costs P = ceil(H / N) word reads and N multiplies a cycle, and an unchanged one
nothing. Per gate:

- ``delta_encoder`` (hw/delta_encoder.py): which elements of ``[x, h]`` changed by more than
  ``theta`` (x) or ``theta_h`` (h) since last sent, and their deltas, one element a cycle;
- ``accumulator`` (hw/delta_accumulator.py): the pre-activation memory, ``M_j += W[j, k] *
  delta_k`` for each changed k (x and h sums apart for the GRU n gate);
- ``weight_store`` (hw/weight_store.py, column-major) and, after the last column, the MU pass:
  one neuron a cycle, ``M_j`` as the accumulator of the MU (hw/mu.py: bias, requantize,
  activation), into the gate output buffer ``gate_out`` of ``outputs`` (hw/schemes/none.py
  ``Baseline``).

Ports: the compute unit's (``hw.schemes.base.compute_unit_ports``), with the controls ``theta``
and ``theta_h`` (theta format) and the events ``changed``, ``unchanged`` (one pulse per element
examined) behind the top level's counters ``changed`` and ``macs_skipped``; ``sat_pre`` (out,
0..2): the MU's requantizes that saturated, with each result of the MU pass (the
``sat_pre_l<layer>`` counters). The pre-activation memory itself never saturates
(golden/schemes/delta.py), so the MU's requantize is the only narrowing of the gate's own.
Timing (cycles after ``start``; golden/cycles.py ``delta_step_cycles``; core.timing): element k
examined at ``LAT_ENCODE + k``; the i-th changed column taken by the accumulator at
``p_i = max(LAT_ENCODE + LAT_COLUMN + k_i, p_{i-1} + P)``; the MU pass starts at
``u = max(LAT_ENCODE + X_l + H, p_n + P + LAT_ACCUMULATE) + LAT_PASS_START`` and reads
neuron j at ``u + j``; ``done[j]`` is set for the cycle ``u + j + LAT_MU_PASS``.
``computed`` pulses once per neuron (every neuron is computed: no memo), ``reused`` never.
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal, unsigned
from amaranth.lib import wiring

from hw.arith import index
from hw.delta_accumulator import ColumnAccumulator
from hw.delta_encoder import DeltaEncoder
from hw.mu import LATENCY as MU_LATENCY
from hw.mu import MultiFunctionUnit
from hw.schemes.base import Scheme, compute_unit_ports
from hw.schemes.none import Baseline
from hw.weight_store import WeightStore


class DeltaUnit(Scheme):
    name = "delta"
    datapath = True

    @classmethod
    def controls(cls, cfg) -> dict:
        theta = unsigned(cfg.theta_format.width)
        return {"theta": theta, "theta_h": theta}

    @classmethod
    def counters(cls, cfg) -> dict:
        return {"changed": ("changed", 1),
                "macs_skipped": ("unchanged", cfg.gates * cfg.hidden_size)}

    def __init__(self, cfg, kind: str):
        self.cfg = cfg
        self.kind = kind
        self.pair = kind == "pair"
        wiring.Component.__init__(
            self, compute_unit_ports(cfg, self.controls(cfg), self.events(cfg)))

    def elaborate(self, platform):
        m = Module()
        cfg, pair = self.cfg, self.pair
        hidden = cfg.hidden_size
        m.submodules.weight_store = store = WeightStore(cfg, pair, columns=True)
        m.submodules.delta_encoder = encoder = DeltaEncoder(cfg)
        m.submodules.accumulator = acc = ColumnAccumulator(cfg, pair)
        m.submodules.mu = mu = MultiFunctionUnit(cfg, self.kind)
        m.submodules.outputs = out = Baseline(cfg, pair)

        wiring.connect(m, wiring.flipped(self.load), store.load)
        for block in (encoder, acc):
            m.d.comb += [block.start.eq(self.start), block.layer.eq(self.layer),
                         block.clear.eq(self.clear)]
        m.d.comb += [encoder.v.eq(self.v), encoder.theta.eq(self.theta),
                     encoder.theta_h.eq(self.theta_h),
                     self.changed.eq(encoder.changed), self.unchanged.eq(encoder.unchanged)]
        wiring.connect(m, encoder.o, acc.i)
        m.d.comb += [store.row_addr.eq(acc.w_addr), acc.w.eq(store.w)]

        # the MU pass, once every column is added: one neuron a cycle
        accumulating, passing = Signal(), Signal()
        j = Signal(index(hidden))
        with m.If(self.start):
            m.d.sync += [accumulating.eq(1), passing.eq(0), j.eq(0)]
        with m.Elif(accumulating & encoder.idle & acc.idle):
            m.d.sync += [accumulating.eq(0), passing.eq(1)]
        with m.Elif(passing):
            m.d.sync += j.eq(j + 1)
            with m.If(j == hidden - 1):
                m.d.sync += [passing.eq(0), j.eq(0)]
        m.d.comb += [acc.pre_addr.eq(j), store.bias_addr.eq(self.layer * hidden + j)]

        # pre-activation and bias a cycle after the read, MU_LATENCY more to the MU's output
        valid, neuron = [passing], [j]
        for k in range(1 + MU_LATENCY):
            valid.append(Signal(name=f"valid_d{k + 1}"))
            neuron.append(Signal(index(hidden), name=f"neuron_d{k + 1}"))
            m.d.sync += [valid[-1].eq(valid[-2]), neuron[-1].eq(neuron[-2])]
        m.d.comb += [mu.i.valid.eq(valid[1]), mu.i.p.acc.eq(acc.pre), mu.i.p.acc_h.eq(acc.pre_h),
                     mu.i.p.bias.eq(store.bias_data), mu.i.p.bias_h.eq(store.bias_h_data)]

        m.d.comb += [out.start.eq(self.start), out.layer.eq(self.layer),
                     out.issue.eq(passing),
                     out.result.valid.eq(mu.o.valid), out.result.p.neuron.eq(neuron[-1]),
                     out.result.p.y.eq(mu.o.p.y), out.result.p.y_h.eq(mu.o.p.y_h),
                     out.y_addr.eq(self.y_addr), self.y.eq(out.y), self.y_h.eq(out.y_h),
                     self.done.eq(out.done), self.computed.eq(out.computed),
                     self.reused.eq(out.reused), self.sat_pre.eq(mu.o.p.sat)]
        return m
