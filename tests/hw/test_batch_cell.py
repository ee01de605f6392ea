"""Batched cell-update unit in Amaranth's simulator against golden.cell per slot (LSTM and GRU):
per-slot state and reset, inactive slots untouched, gate outputs ready at random times, and the
step's end at the batched cycle model's time."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from golden.cell import gru_step, lstm_step
from hw.batch_cell import BatchCellUnit
from hw.cell import LATENCY
from tests.hw.rtl import simulate, unpack


def rtl_batch_cell(cfg, steps):
    """``steps``: (layer, active mask, clear mask, y (S, G, H), y_h (S, H), ready (H): the
    cycle each neuron's gate outputs are done). Returns per step the h and c state
    (S, layers, H) and the cycle of ``done``."""
    dut = BatchCellUnit(cfg)
    hidden, gates, dw = cfg.hidden_size, cfg.gates, cfg.data_format.width
    entries = cfg.slots * cfg.layers * hidden
    out = []

    async def tb(ctx):
        for layer, active, clear, y, y_h, ready in steps:
            ctx.set(dut.done_bits, 0)
            ctx.set(dut.layer, layer)
            ctx.set(dut.active, active)
            ctx.set(dut.clear, clear)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            ctx.set(dut.clear, 0)
            cycle, slot, neuron = 1, 0, 0
            while not ctx.get(dut.done):
                bits = sum(1 << j for j in range(hidden) if ready[j] <= cycle)
                ctx.set(dut.done_bits, sum(bits << (g * hidden) for g in range(gates)))
                for g in range(gates):
                    ctx.set(dut.y[g], int(y[slot, g, neuron]))
                ctx.set(dut.y_h, int(y_h[slot, neuron]))
                slot, neuron = ctx.get(dut.y_addr.slot), ctx.get(dut.y_addr.neuron)
                await ctx.tick()
                cycle += 1
                assert cycle < 2000
            h = unpack(ctx.get(dut.h_state.as_value()), dw, entries)
            c = unpack(ctx.get(dut.c_state.as_value()), dw, entries)
            shape = (cfg.slots, cfg.layers, hidden)
            out.append((h.reshape(shape), c.reshape(shape), cycle))

    simulate(dut, tb)
    return out


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("slots", [3, 8])
def test_batched_cell_matches_golden_per_slot(cell, slots):
    cfg = dataclasses.replace(DEFAULT, cell=cell, input_size=5, hidden_size=5, layers=2,
                              slots=slots, predictor="none")
    seed = 40 + slots + len(cell)
    print("seed", seed)
    rng = np.random.default_rng(seed)
    df, hidden, gates = cfg.data_format, cfg.hidden_size, cfg.gates
    every = (1 << slots) - 1
    plan = [(0, every, every), (1, int(rng.integers(1, every + 1)), 0),
            (0, int(rng.integers(1, every + 1)), int(rng.integers(0, every + 1))),
            (1, int(rng.integers(1, every + 1)), 0)]
    steps = []
    for layer, active, clear in plan:
        y = rng.integers(df.min_int, df.max_int + 1, (slots, gates, hidden))
        y_h = rng.integers(df.min_int, df.max_int + 1, (slots, hidden))
        ready = rng.integers(1, 12 * slots, hidden)
        steps.append((layer, active, clear, y, y_h, ready))
    results = rtl_batch_cell(cfg, steps)

    h_state = np.zeros((slots, cfg.layers, hidden), dtype=np.int64)
    c_state = np.zeros_like(h_state)
    for (layer, active, clear, y, y_h, ready), (h, c, done_at) in zip(steps, results,
                                                                     strict=True):
        on = [s for s in range(slots) if active >> s & 1]
        for s in range(slots):
            if clear >> s & 1:
                h_state[s], c_state[s] = 0, 0
        for s in on:
            if cell == "lstm":
                step = lstm_step(*y[s], c_state[s, layer], cfg)
                c_state[s, layer] = step.c
            else:
                step = gru_step(y[s, 0], y[s, 1], y[s, 2], y_h[s], h_state[s, layer], cfg)
            h_state[s, layer] = step.h
        np.testing.assert_array_equal(h, h_state)
        if cell == "lstm":
            np.testing.assert_array_equal(c, c_state)
        a = len(on)
        issue = 1 - a                 # the batched cycle model: c_j = max(c_{j-1} + a, ready_j)
        for j in range(hidden):
            issue = max(issue + a, ready[j])
        assert done_at == issue + a - 1 + LATENCY
