"""Batched cell-update unit (E-BATCH; docs/architecture.md, "The batched build"): hw/cell.py's
LSTM / GRU update, with the state of every slot and the slots of a step updated in turn
(hw/batch_top.py).

It owns every slot's recurrent state: ``h_state`` (and, LSTM, ``c_state``), S*L*H entries each,
element ``slot * L*H + layer * H + j``.

Ports (those of hw/cell.py, except)
    ``active`` (in, S bits, held during the step, at least one set): the slots the step updates.
    ``clear`` (in, S bits): those slots' h and c of every layer become 0 (next cycle).
    ``y_addr`` (out: ``slot``, ``neuron``) -> ``y``, ``y_h`` (in, one cycle later): the batched
    compute units' gate-output reads (hw/batch_cu.py).
Behaviour: neuron j of the first active slot is issued at the first cycle >= (issue of j-1's
last slot) + 1 at which every gate's ``done[j]`` is set, and the other active slots' in the
cycles after it, in increasing slot order; each then runs hw/cell.py's pipeline. ``done``
pulses ``LAT_CELL`` cycles after the last slot's neuron H-1 was issued: a step with a active
slots counts ``c_{H-1} + (a - 1) + LAT_CELL + 1`` cycles (golden.batch.step_cycles). Static
precision only (no tracker port).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Signal, signed
from amaranth.lib import data
from amaranth.lib.wiring import In, Out

from hw.arith import index
from hw.batch_sequencer import encode, lowest
from hw.cell import H_STAGE, CellUnit


class BatchCellUnit(CellUnit):
    def __init__(self, cfg):
        if cfg.precision != "static":
            raise ValueError("the batched cell unit is built for static precision")
        super().__init__(cfg)

    def ports(self, cfg) -> dict:
        ports = super().ports(cfg)
        dshape = signed(cfg.data_format.width)
        entries = cfg.slots * cfg.layers * cfg.hidden_size
        ports.update({
            "active": In(cfg.slots), "clear": In(cfg.slots),
            "y_addr": Out(data.StructLayout({"slot": index(cfg.slots),
                                             "neuron": index(cfg.hidden_size)})),
            "h_state": Out(data.ArrayLayout(dshape, entries)),
            "c_state": Out(data.ArrayLayout(dshape, entries)),
        })
        return ports

    def issue(self, m):
        cfg = self.cfg
        hidden, gates, per_slot = cfg.hidden_size, cfg.gates, cfg.layers * cfg.hidden_size
        running = Signal()
        j = Signal(index(hidden))
        left = Signal(cfg.slots)             # the active slots not yet issued for neuron j
        one = lowest(left)
        rest = left & ~one
        slot = encode(one, cfg.slots)
        ready = Cat(self.done_bits.bit_select(g * hidden + j, 1) for g in range(gates)).all()
        # a neuron's done bits stay set through the step: once its first slot is issued, the
        # others follow it, one a cycle
        issue = running & ready
        last = issue & (rest == 0) & (j == hidden - 1)
        with m.If(self.start):
            m.d.sync += [running.eq(1), j.eq(0), left.eq(self.active)]
        with m.Elif(issue):
            with m.If(rest != 0):
                m.d.sync += left.eq(rest)
            with m.Elif(j == hidden - 1):
                m.d.sync += [j.eq(0), running.eq(0)]
            with m.Else():
                m.d.sync += [j.eq(j + 1), left.eq(self.active)]
        m.d.comb += [self.y_addr.slot.eq(slot), self.y_addr.neuron.eq(j)]
        # the step's last (slot, neuron) travels beside the pipeline to ``done``
        flags = [last]
        for k in range(1, H_STAGE + 1):
            flags.append(Signal(name=f"last{k}"))
            m.d.sync += flags[k].eq(flags[k - 1])
        return issue, slot * per_slot + self.layer * hidden + j, flags[H_STAGE]

    def write(self, m, valid, entry, h, last):
        cfg = self.cfg
        per_slot = cfg.layers * cfg.hidden_size
        with m.If(valid):
            m.d.sync += self.h_state[entry].eq(h)
        for s in range(cfg.slots):       # later statements win: a cleared slot is zero
            with m.If(self.clear[s]):
                m.d.sync += [self.h_state[s * per_slot + e].eq(0) for e in range(per_slot)]
                m.d.sync += [self.c_state[s * per_slot + e].eq(0) for e in range(per_slot)]
        m.d.sync += self.done.eq(last)
