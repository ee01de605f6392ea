"""The batched build's dot-product blocks in Amaranth's simulator: hw/batch_dpu.py against
golden.dpu.dot per slot, and hw/batch_sequencer.py with a weight memory read once per chunk
round, against golden dot products and the DPU term of golden.batch's cycle model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from amaranth.hdl import Signal, signed, unsigned
from amaranth.lib import data
from amaranth.lib.memory import Memory

from core.config import DEFAULT
from golden.dpu import dot
from hw.batch_dpu import BatchDotProductUnit
from hw.batch_sequencer import BatchRowSequencer
from tests.hw.rtl import simulate
from tests.hw.test_dpu import feed_chunks


def config(slots, lanes=4):
    return dataclasses.replace(DEFAULT, input_size=7, hidden_size=5, lanes=lanes, slots=slots,
                               predictor="none")


@pytest.mark.parametrize("slots", [1, 3, 8])
@pytest.mark.parametrize("split", [False, True])
def test_batch_dpu_matches_golden_per_slot(slots, split):
    """Rows of several slots, their chunks interleaved in random order with idle cycles: every
    slot's accumulator equals its own dot product, two cycles after its last chunk."""
    seed = 100 * slots + split
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cfg = config(slots)
    dut = BatchDotProductUnit(cfg, split)
    n, k, xlen = cfg.lanes, cfg.row_length(0), cfg.input_size
    chunks = -(-k // n)
    wf, df = cfg.weight_format, cfg.data_format
    w = rng.integers(wf.min_int, wf.max_int + 1, (slots, chunks * n))
    v = rng.integers(df.min_int, df.max_int + 1, (slots, chunks * n))
    w[:, k:] = v[:, k:] = 0
    w[0, :k], v[0, :k] = wf.min_int, df.min_int                  # the largest sum
    pending = [0] * slots
    schedule = []
    while any(c < chunks for c in pending):
        if rng.random() < 0.2:
            schedule.append(None)
            continue
        s = int(rng.choice([s for s in range(slots) if pending[s] < chunks]))
        schedule.append((s, pending[s]))
        pending[s] += 1
    out, last_at = {}, {}

    def result(ctx, cycle):
        s = ctx.get(dut.o.p.slot)
        out[s] = (ctx.get(dut.o.p.acc), ctx.get(dut.o.p.acc_h), cycle - last_at[s])

    simulate(dut, feed_chunks(dut, schedule, w, v, chunks, xlen, result, last_at,
                              slotted=True))
    assert sorted(out) == list(range(slots))
    for s in range(slots):
        acc, acc_h, latency = out[s]
        if split:
            assert (acc, acc_h) == (dot(w[s, :xlen], v[s, :xlen]), dot(w[s, xlen:], v[s, xlen:]))
        else:
            assert acc == dot(w[s], v[s])
        assert latency == 2


class Chain(BatchRowSequencer):
    """The sequencer, a weight memory whose read port is enabled by ``read`` (its output
    register holds the word for the round's other slots) and the batched DPU, as a batched
    compute unit joins them (one layer; ``v``, every slot's input vector, is the testbench's)."""

    def __init__(self, cfg, weights):
        super().__init__(cfg)
        self.weights = weights                       # (H * Kd, N): row j's chunk c at j*Kd + c
        self.v = Signal(data.ArrayLayout(signed(cfg.data_format.width),
                                         cfg.slots * cfg.dpu_cycles(0) * cfg.lanes))
        self.dpu = BatchDotProductUnit(cfg)

    def elaborate(self, platform):
        m = super().elaborate(platform)
        cfg, n, kd = self.cfg, self.cfg.lanes, self.cfg.dpu_cycles(0)
        width, dwidth = cfg.weight_format.width, cfg.data_format.width
        words = [sum((int(x) & ((1 << width) - 1)) << (width * lane)
                     for lane, x in enumerate(chunk)) for chunk in self.weights]
        m.submodules.wmem = wmem = Memory(shape=unsigned(n * width), depth=len(words),
                                          init=words)
        read = wmem.read_port()
        o = self.o
        m.d.comb += [read.addr.eq(o.p.neuron * kd + o.p.chunk), read.en.eq(o.valid & o.p.read)]
        m.submodules.dpu = dpu = self.dpu
        # the data word of the issued slot and chunk, registered beside the weight read
        m.d.sync += [dpu.i.valid.eq(o.valid), dpu.i.p.slot.eq(o.p.slot),
                     dpu.i.p.first.eq(o.p.first), dpu.i.p.last.eq(o.p.last)]
        base = (o.p.slot * kd + o.p.chunk) * n
        for lane in range(n):
            m.d.sync += dpu.i.p.v[lane].eq(
                self.v.as_value().word_select(base + lane, dwidth).as_signed())
        m.d.comb += dpu.i.p.w.eq(read.data)
        return m


def rtl_batch_rows(cfg, weights, v, queue_at, masks):
    """Queue neuron j with slot mask ``masks[j]`` from cycle ``queue_at[j]`` (after start).
    Returns the DPU's results in order as (slot, acc), the cycle each neuron's first chunk was
    issued, and the ``read`` flag of every issued chunk."""
    kd, n = cfg.dpu_cycles(0), cfg.lanes
    dut = Chain(cfg, weights.reshape(-1, n))
    results, first_at, reads = [], {}, []
    horizon = int(max(queue_at)) + kd * cfg.slots * len(masks) + 10

    async def tb(ctx):
        for q, value in enumerate(v.reshape(-1)):
            ctx.set(dut.v[q], int(value))
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        j = 0
        for cycle in range(horizon):
            offer = bool(j < len(masks) and cycle >= queue_at[j])
            ctx.set(dut.queue.valid, offer)
            if offer:
                ctx.set(dut.queue.p.neuron, j)
                ctx.set(dut.queue.p.slots, int(masks[j]))
            taken = offer and ctx.get(dut.queue.ready)
            if ctx.get(dut.o.valid):
                if ctx.get(dut.o.p.first) and ctx.get(dut.o.p.read):
                    first_at.setdefault(ctx.get(dut.o.p.neuron), cycle)
                reads.append(ctx.get(dut.o.p.read))
            if ctx.get(dut.dpu.o.valid):
                results.append((ctx.get(dut.dpu.o.p.slot), ctx.get(dut.dpu.o.p.acc)))
            await ctx.tick()
            j += bool(taken)

    simulate(dut, tb)
    return results, first_at, reads


@pytest.mark.parametrize("slots", [1, 3, 8])
def test_sequencer_issues_rounds_and_reads_once_per_chunk(slots):
    """Neurons queued at random times with random slot masks: every (neuron, slot) dot product
    equals golden's, in order; Kd weight reads a neuron; first chunks at the cycle model's
    times."""
    seed = 7 + slots
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cfg = config(slots)
    kd, n, hidden, row = cfg.dpu_cycles(0), cfg.lanes, cfg.hidden_size, cfg.row_length(0)
    wf, df = cfg.weight_format, cfg.data_format
    weights = np.zeros((hidden, kd * n), dtype=np.int64)
    weights[:, :row] = rng.integers(wf.min_int, wf.max_int + 1, (hidden, row))
    v = np.zeros((slots, kd * n), dtype=np.int64)
    v[:, :row] = rng.integers(df.min_int, df.max_int + 1, (slots, row))
    masks = rng.integers(1, 1 << slots, hidden)
    queue_at = np.sort(rng.integers(0, 3 * kd * slots, hidden))
    results, first_at, reads = rtl_batch_rows(cfg, weights, v, queue_at, masks)
    users = [[s for s in range(slots) if masks[j] >> s & 1] for j in range(hidden)]
    assert results == [(s, dot(weights[j], v[s])) for j in range(hidden) for s in users[j]]
    assert sum(reads) == kd * hidden and len(reads) == kd * sum(map(len, users))
    starts = []
    for j in range(hidden):
        earliest = int(queue_at[j]) + 1
        starts.append(earliest if j == 0 else max(starts[-1] + kd * len(users[j - 1]), earliest))
    assert [first_at[j] for j in range(hidden)] == starts
