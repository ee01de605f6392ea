"""DPU in Amaranth's simulator against golden.dpu.dot: random and extreme rows, split sums."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from golden.dpu import dot
from hw.dpu import DotProductUnit
from tests.hw.rtl import simulate


def rtl_dot(cfg, weights, inputs, split=False, xlen=0, seed=0):
    """Dot products of rows ``weights[m]`` and ``inputs[m]`` on the DPU, back to back with random
    idle cycles. Returns (acc, acc_h, latency of each result after its last chunk)."""
    rng = np.random.default_rng(seed)
    dut = DotProductUnit(cfg, split)
    n = cfg.lanes
    rows, k = weights.shape
    chunks = -(-k // n)
    w = np.zeros((rows, chunks * n), dtype=np.int64)
    v = np.zeros_like(w)
    w[:, :k], v[:, :k] = weights, inputs
    schedule = []
    for r in range(rows):
        for c in range(chunks):
            while rng.random() < 0.2:
                schedule.append(None)
            schedule.append((r, c))
    out, out_at = [], []

    def result(ctx, cycle):
        out.append((ctx.get(dut.o.p.acc), ctx.get(dut.o.p.acc_h)))
        out_at.append(cycle)

    last_at = {}
    simulate(dut, feed_chunks(dut, schedule, w, v, chunks, xlen, result, last_at))
    out = np.array(out, dtype=np.int64).reshape(-1, 2)
    return out[:, 0], out[:, 1], np.array(out_at) - np.array([last_at[r] for r in range(rows)])


def feed_chunks(dut, schedule, w, v, chunks, xlen, result, last_at, slotted=False):
    """A testbench feeding ``schedule`` ((row, chunk) per cycle, None: idle) to a DPU's ``i``:
    chunk c of row r is ``w[r, cN:(c+1)N]`` and ``v[r, ...]`` (``slotted``, the batched DPU:
    the row is the slot, ``i.slot``); then three idle cycles. ``last_at[r]``: the cycle of row
    r's last chunk; ``result(ctx, cycle)`` at each output, the cycle it came out."""
    n = len(dut.i.p.w)

    async def tb(ctx):
        for cycle, item in enumerate(schedule + [None] * 3):
            ctx.set(dut.i.valid, item is not None)
            if item is not None:
                r, c = item
                for lane in range(n):
                    ctx.set(dut.i.p.w[lane], int(w[r, c * n + lane]))
                    ctx.set(dut.i.p.v[lane], int(v[r, c * n + lane]))
                if slotted:
                    ctx.set(dut.i.p.slot, r)
                ctx.set(dut.i.p.first, c == 0)
                ctx.set(dut.i.p.last, c == chunks - 1)
                ctx.set(dut.i.p.xmask, sum(1 << lane for lane in range(n)
                                           if c * n + lane < xlen))
                if c == chunks - 1:
                    last_at[r] = cycle
            await ctx.tick()
            if ctx.get(dut.o.valid):
                result(ctx, cycle + 1)
    return tb


def rows_with_extremes(cfg, rows, k, rng):
    wf, df = cfg.weight_format, cfg.data_format
    w = rng.integers(wf.min_int, wf.max_int + 1, (rows, k))
    v = rng.integers(df.min_int, df.max_int + 1, (rows, k))
    w[0], v[0] = wf.min_int, df.min_int          # the largest positive sum
    w[1], v[1] = wf.min_int, df.max_int          # the largest negative sum
    w[2], v[2] = wf.max_int, df.max_int
    return w, v


@pytest.mark.parametrize("lanes", [1, 3, 4, 8])
@pytest.mark.parametrize("split", [False, True])
def test_dpu_matches_golden(lanes, split):
    seed = 10 * lanes + split
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cfg = dataclasses.replace(DEFAULT, input_size=7, hidden_size=10, lanes=lanes)
    k, xlen = cfg.row_length(0), cfg.input_size
    w, v = rows_with_extremes(cfg, 8, k, rng)
    acc, acc_h, latency = rtl_dot(cfg, w, v, split, xlen if split else 0, seed)
    if split:
        np.testing.assert_array_equal(acc, dot(w[:, :xlen], v[:, :xlen]))
        np.testing.assert_array_equal(acc_h, dot(w[:, xlen:], v[:, xlen:]))
    else:
        np.testing.assert_array_equal(acc, dot(w, v))
    assert list(latency) == [2] * len(w)


def test_accumulator_holds_the_extreme_sum():
    cfg = dataclasses.replace(DEFAULT, input_size=7, hidden_size=10, lanes=4)
    k = cfg.row_length(0)
    w = np.full((1, k), cfg.weight_format.min_int)
    v = np.full((1, k), cfg.data_format.min_int)
    acc, _, _ = rtl_dot(cfg, w, v)
    assert acc[0] == k * 2 ** 30 and acc[0] < 2 ** (cfg.acc_width - 1)
