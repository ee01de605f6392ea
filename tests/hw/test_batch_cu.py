"""Batched compute unit (baseline build) in Amaranth's simulator: every active slot's gate
outputs against golden (the same functions as tests/hw/test_cu.py), the done times and the
weight reads of the batched cycle model (golden.batch), two layer steps with different active
slots."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.timing import LAT_DPU_START, LAT_MU
from hw.batch_cu import BatchComputeUnit
from tests.hw.rtl import simulate
from tests.hw.test_cu import CFG, expected, load_gate, random_gate, until_done


def rtl_batch_cu(cfg, gate, w, b, b_h, steps):
    """Load one gate's parameters, then run ``steps``: (layer, v (S, X_l+H), active mask). Per
    step: y, y_h (S, H) of the active slots, the cycle each done bit rose, the per-slot computed
    pulses and the weight reads."""
    dut = BatchComputeUnit(cfg, gate)
    hidden, kmax = cfg.hidden_size, cfg.max_row_length
    out = []

    async def tb(ctx):
        await load_gate(ctx, dut, cfg, w, b, b_h)
        for layer, v, active in steps:
            for s in range(cfg.slots):
                for k in range(kmax):
                    ctx.set(dut.v[s * kmax + k], int(v[s, k]) if k < v.shape[1] else 0)
            ctx.set(dut.layer, layer)
            ctx.set(dut.active, active)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            done_at, (computed, reads) = await until_done(ctx, dut, lambda: (
                [ctx.get(dut.computed) >> s & 1 for s in range(cfg.slots)],
                ctx.get(dut.sequencer.o.valid) and ctx.get(dut.sequencer.o.p.read)))
            y = np.zeros((cfg.slots, hidden), dtype=np.int64)
            y_h = np.zeros_like(y)
            for s in range(cfg.slots):
                for j in range(hidden):
                    ctx.set(dut.y_addr.slot, s)
                    ctx.set(dut.y_addr.neuron, j)
                    await ctx.tick()
                    y[s, j], y_h[s, j] = ctx.get(dut.y), ctx.get(dut.y_h)
            out.append((y, y_h, done_at, computed, reads))

    simulate(dut, tb)
    return out


@pytest.mark.parametrize("cell, gate", [("lstm", 0), ("lstm", 2), ("gru", 2)])
@pytest.mark.parametrize("slots", [3, 8])
def test_batched_cu_outputs_and_schedule(cell, gate, slots):
    cfg = dataclasses.replace(CFG, cell=cell, slots=slots)
    seed = 31 * slots + gate + (cell == "gru")
    print("seed", seed)
    rng = np.random.default_rng(seed)
    kind = cfg.gate_function(gate)
    w, b, b_h = random_gate(cfg, rng)
    df = cfg.data_format
    steps = []
    for layer in (0, 1):
        v = rng.integers(df.min_int, df.max_int + 1, (slots, cfg.row_length(layer)))
        v[0, :2] = [df.min_int, df.max_int]
        active = int(rng.integers(1, 1 << slots))
        steps.append((layer, v, active))
    results = rtl_batch_cu(cfg, gate, w, b, b_h, steps)
    for (layer, v, active), (y, y_h, done_at, computed, reads) in zip(steps, results,
                                                                      strict=True):
        slots_on = [s for s in range(slots) if active >> s & 1]
        a, kd = len(slots_on), cfg.dpu_cycles(layer)
        for s in slots_on:
            want, want_h = expected(cfg, kind, layer, w, b, b_h, v[s])
            np.testing.assert_array_equal(y[s], want)
            if want_h is not None:
                np.testing.assert_array_equal(y_h[s], want_h)
        j = np.arange(cfg.hidden_size)
        np.testing.assert_array_equal(done_at, LAT_DPU_START + j * kd * a + kd * a + LAT_MU)
        assert computed.tolist() == [cfg.hidden_size * (s in slots_on) for s in range(slots)]
        assert reads == kd * cfg.hidden_size
