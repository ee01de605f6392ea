"""Baseline scheme in Amaranth's simulator: the gate output buffer, done bits and counter pulses
(the testbench acting as the dot-product path)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from hw.schemes.none import Baseline
from tests.hw.rtl import simulate

CFG = dataclasses.replace(DEFAULT, input_size=5, hidden_size=6, layers=2, predictor="none")


@pytest.mark.parametrize("pair", [False, True])
def test_outputs_done_and_pulses(pair):
    seed = int(pair)
    print("seed", seed)
    rng = np.random.default_rng(seed)
    dut = Baseline(CFG, pair)
    hidden, df = CFG.hidden_size, CFG.data_format
    y, y_h = (rng.integers(df.min_int, df.max_int + 1, hidden) for _ in range(2))
    order = [int(j) for j in rng.permutation(hidden)]

    async def tb(ctx):
        for step in range(2):
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            assert ctx.get(dut.done) == 0
            for j in order:
                ctx.set(dut.issue, 1)
                assert ctx.get(dut.computed) and not ctx.get(dut.reused)
                ctx.set(dut.issue, 0)
                ctx.set(dut.result.valid, 1)
                ctx.set(dut.result.p.neuron, j)
                ctx.set(dut.result.p.y, int(y[j]) - step)
                ctx.set(dut.result.p.y_h, int(y_h[j]))
                before = ctx.get(dut.done)
                await ctx.tick()
                ctx.set(dut.result.valid, 0)
                assert ctx.get(dut.done) == before | 1 << j    # set the cycle after the result
                assert not ctx.get(dut.computed)
            for j in range(hidden):
                ctx.set(dut.y_addr, j)
                await ctx.tick()
                assert ctx.get(dut.y) == y[j] - step
                assert ctx.get(dut.y_h) == (y_h[j] if pair else 0)

    simulate(dut, tb)
