"""Row sequencer in Amaranth's simulator: the chunks read each cycle, in order and from a queue,
against the schedule of its docstring (core.timing) and the hw/rows.py layout."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.timing import LAT_DPU_START
from hw.rows import row_layout
from hw.sequencer import RowSequencer
from tests.hw.rtl import simulate

CFG = dataclasses.replace(DEFAULT, input_size=5, hidden_size=6, layers=2, lanes=4)


def rtl_sequence(cfg, layer, queued=False, in_order=1, offers=(), cycles=80):
    """Start a step of ``layer``; ``offers``: (cycle, neuron) at which a neuron is offered on the
    queue (held until taken). Returns the reads: (cycle, neuron, chunk, first, last, row) and
    the cycle each offer was taken."""
    dut = RowSequencer(cfg, queued=queued)
    reads, taken = [], []

    async def tb(ctx):
        if queued:
            ctx.set(dut.in_order, in_order)
        ctx.set(dut.layer, layer)
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        pending = list(offers)
        for cycle in range(1, cycles):
            if queued:
                offer = pending[0] if pending and pending[0][0] <= cycle else None
                ctx.set(dut.queue.valid, offer is not None)
                ctx.set(dut.queue.p, offer[1] if offer else 0)
                if offer and ctx.get(dut.queue.ready):
                    taken.append(cycle)
                    pending.pop(0)
            if ctx.get(dut.o.valid):
                p = dut.o.p
                reads.append((cycle, ctx.get(p.neuron), ctx.get(p.chunk), ctx.get(p.first),
                              ctx.get(p.last), ctx.get(dut.row_addr)))
            await ctx.tick()

    simulate(dut, tb)
    return reads, taken


def expected_reads(cfg, layer, starts, neurons):
    base, _ = row_layout(cfg, cfg.dpu_cycles)
    kd = cfg.dpu_cycles(layer)
    return [(a + c, j, c, int(c == 0), int(c == kd - 1), base[layer] + j * kd + c)
            for a, j in zip(starts, neurons, strict=True) for c in range(kd)]


@pytest.mark.parametrize("queued", [False, True])
@pytest.mark.parametrize("layer", [0, 1])
def test_in_order(queued, layer):
    reads, taken = rtl_sequence(CFG, layer, queued=queued, offers=[(3, 2)])
    kd, hidden = CFG.dpu_cycles(layer), CFG.hidden_size
    starts = LAT_DPU_START + np.arange(hidden) * kd
    assert reads == expected_reads(CFG, layer, starts, range(hidden))
    assert taken == []          # in order, the queue is never read


@pytest.mark.parametrize("layer", [0, 1])
def test_queued(layer):
    # neurons offered at once, late, and while another neuron's chunks are read
    offers = [(2, 4), (2, 0), (9, 5), (30, 1), (31, 3)]
    reads, taken = rtl_sequence(CFG, layer, queued=True, in_order=0, offers=offers)
    kd = CFG.dpu_cycles(layer)
    starts, free = [], 0
    for offered, _ in offers:
        starts.append(max(free, offered + 1))
        free = starts[-1] + kd
    assert reads == expected_reads(CFG, layer, starts, [j for _, j in offers])
    assert taken == [a - 1 for a in starts]
