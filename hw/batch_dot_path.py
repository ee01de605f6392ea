"""Batched dot-product path (E-BATCH; docs/architecture.md, "The batched build"): each slot's
input-chunk select, the batched DPU (hw/batch_dpu.py), the MU, and the neuron and slot beside
them (hw/batch_cu.py).

Ports
    ``i`` (in, always ready): ``neuron``, ``chunk``, ``slot``, ``first``, ``last``, ``read`` of
    the chunk issued this cycle (hw/batch_sequencer.py's ``o``).
    ``w`` (in): that chunk's N weights, one cycle after ``i``: the weight memory's read port,
    enabled by ``read``, whose output register holds the word through the round.
    ``layer`` (in, held during the step), ``v`` (in): every slot's input vector [x, h], slot s at
    words ``s * max_row_length ...``, stable during the step.
    ``bias_addr`` (out) -> ``bias``, ``bias_h`` (in, one cycle later): the neuron's biases, the
    same for every slot.
    ``o`` (out, always ready): ``neuron``, ``slot``, ``y`` and (GRU ``n`` pair) ``y_h``.
    ``sat`` (out): with ``o``, how many of its requantizes saturated.
Latency: ``o`` is valid ``core.timing.LAT_MU`` cycles after ``i`` carried a slot's last chunk of
the neuron, as hw/dot_path.py; one result a cycle, in the order of the slots' last chunks.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal, signed
from amaranth.lib import data, wiring

from hw.arith import by_layer, index
from hw.batch_dpu import BatchDotProductUnit
from hw.batch_sequencer import batch_chunk_layout
from hw.dot_path import lane_input, mu_stage, path_ports
from hw.mu import LATENCY as MU_LATENCY


def batch_result_layout(cfg):
    dshape = signed(cfg.data_format.width)
    return data.StructLayout({"neuron": index(cfg.hidden_size), "slot": index(cfg.slots),
                              "y": dshape, "y_h": dshape})


class BatchDotPath(wiring.Component):
    def __init__(self, cfg, kind: str):
        self.cfg = cfg
        self.kind = kind
        super().__init__(path_ports(cfg, batch_chunk_layout(cfg), batch_result_layout(cfg),
                                    cfg.slots * cfg.max_row_length))

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        n, hidden, layers = cfg.lanes, cfg.hidden_size, range(cfg.layers)
        pair = self.kind == "pair"
        kdmax = max(cfg.dpu_cycles(k) for k in layers)
        p = self.i.p

        # stage 1 (aligned with the weight read): the slot's input chunk
        m.submodules.dpu = dpu = BatchDotProductUnit(cfg, split=pair)
        s_neuron = Signal(index(hidden))
        m.d.sync += [dpu.i.valid.eq(self.i.valid), dpu.i.p.first.eq(p.first),
                     dpu.i.p.last.eq(p.last), dpu.i.p.slot.eq(p.slot), s_neuron.eq(p.neuron)]
        select = p.slot * kdmax + p.chunk
        for k in range(n):
            m.d.sync += dpu.i.p.v[k].eq(lane_input(cfg, self.v, k, select, cfg.slots))
        if pair:
            xlen = by_layer(self.layer, [cfg.layer_input_size(k) for k in layers])
            m.d.sync += dpu.i.p.xmask.eq(Cat(p.chunk * n + k < xlen for k in range(n)))
        m.d.comb += dpu.i.p.w.eq(self.w)

        # the neuron travels beside the DPU and MU; the slot comes out of the DPU with its sum
        mu_stage(m, self, dpu, s_neuron)
        slot = dpu.o.p.slot
        for k in range(MU_LATENCY):
            reg = Signal.like(slot, name=f"slot_d{k + 1}")
            m.d.sync += reg.eq(slot)
            slot = reg
        m.d.comb += self.o.p.slot.eq(slot)
        return m
