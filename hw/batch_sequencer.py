"""Batched row sequencer (E-BATCH; docs/architecture.md, "The batched build"): which neuron's
which weight chunk, for which slot, each cycle; one weight read per chunk, held for the slots.

Ports
    ``start`` (in): pulse that starts a layer step of ``layer`` (held during the step).
    ``queue`` (in stream): ``neuron`` and ``slots`` (S bits): a gate neuron to compute and the
    slots that compute it (at least one). The reuse scheme pushes them as it decides; a baseline
    build pushes every neuron with the active slots.
    ``o`` (out, always ready): ``neuron``, ``chunk``, ``slot``, ``first`` (chunk 0), ``last``
    (chunk Kd-1), ``read`` (the first slot of the chunk's round: the weight word is read this
    cycle and held for the round's other slots) and ``final`` (the neuron's last chunk of its
    last slot), valid one cycle each.
Schedule (Kd = ``cfg.dpu_cycles(layer)``, m = the neuron's slots): chunk-major, slot-minor:
chunk 0 for each of the m slots in increasing order, then chunk 1, ...: Kd * m cycles a neuron,
Kd weight reads. A neuron is taken from the queue (``ready``) in the cycle the previous neuron's
last (chunk, slot) is issued, or any cycle nothing is issued, or the ``start`` cycle (which drops
what an earlier step left), and its first chunk is issued the cycle after; no bubble between
neurons, a neuron's rounds are never interrupted. So neuron j's first chunk is issued at
``max(a_{j-1} + Kd * m_{j-1}, q_j + 1)``, q_j the cycle it is queued (``golden.batch``'s DPU
term; a baseline build queues neuron 0 with ``start``: ``a_0 = LAT_DPU_START``).
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.arith import by_layer, index


def batch_chunk_layout(cfg):
    kdmax = max(cfg.dpu_cycles(k) for k in range(cfg.layers))
    return data.StructLayout({"neuron": index(cfg.hidden_size), "chunk": index(kdmax),
                              "slot": index(cfg.slots), "first": 1, "last": 1, "read": 1,
                              "final": 1})


def queue_layout(cfg):
    return data.StructLayout({"neuron": index(cfg.hidden_size), "slots": cfg.slots})


class BatchRowSequencer(wiring.Component):
    def __init__(self, cfg):
        self.cfg = cfg
        super().__init__({
            "start": In(1), "layer": In(index(cfg.layers)),
            "queue": In(stream.Signature(queue_layout(cfg))),
            "o": Out(stream.Signature(batch_chunk_layout(cfg), always_ready=True)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, slots = self.cfg, self.cfg.slots
        kd = by_layer(self.layer, [cfg.dpu_cycles(k) for k in range(cfg.layers)])
        mask = Signal(slots)                    # the neuron's slots
        left = Signal(slots)                    # of them, those not yet issued this round
        o = self.o.p
        one = lowest(left)                      # one-hot: the slot issued next this cycle
        rest = left & ~one
        last_chunk = o.chunk == kd - 1
        round_over = rest == 0
        m.d.comb += [o.first.eq(o.chunk == 0), o.last.eq(last_chunk), o.read.eq(left == mask),
                     o.final.eq(last_chunk & round_over), o.slot.eq(encode(one, slots))]
        issuing = self.o.valid
        m.d.comb += issuing.eq(left != 0)
        done = ~issuing | (round_over & last_chunk)
        m.d.comb += self.queue.ready.eq(done | self.start)
        take = [left.eq(self.queue.p.slots), mask.eq(self.queue.p.slots),
                o.neuron.eq(self.queue.p.neuron), o.chunk.eq(0)]
        with m.If(self.start):
            m.d.sync += left.eq(0)
            with m.If(self.queue.valid):
                m.d.sync += take
        with m.Elif(issuing & ~round_over):
            m.d.sync += left.eq(rest)
        with m.Elif(issuing & ~last_chunk):
            m.d.sync += [left.eq(mask), o.chunk.eq(o.chunk + 1)]
        with m.Elif(self.queue.valid):
            m.d.sync += take
        with m.Else():
            m.d.sync += left.eq(0)
        return m


def lowest(bits):
    """The lowest set bit of ``bits``, one-hot (0 when none)."""
    return bits & (~bits + 1)[:len(bits)]


def encode(onehot, width: int):
    """The index of a one-hot value (0 when none)."""
    out = 0
    for s in range(1, width):
        out = Mux(onehot[s], s, out)
    return out
