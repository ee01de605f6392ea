"""Cell-update unit in Amaranth's simulator against golden.cell (LSTM and GRU), with gate
outputs that become ready at random times (the issue rule of its docstring)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from golden.cell import gru_step, lstm_step
from hw.cell import LATENCY, CellUnit
from tests.hw.rtl import simulate, start_step, unpack


def rtl_cell(cfg, steps):
    """``steps``: (layer, y (G, H), y_h (H), clear, ready (H) cycle each neuron's gate outputs
    are marked done). Returns per step the h and c state (layers, H), the done cycle and the
    step's saturation pulses summed per quantity (``pre``, ``c``, ``h``)."""
    dut = CellUnit(cfg)
    hidden, gates, dw = cfg.hidden_size, cfg.gates, cfg.data_format.width
    out = []

    async def tb(ctx):
        for layer, y, y_h, clear, ready in steps:
            ctx.set(dut.done_bits, 0)
            await start_step(ctx, dut, layer, clear)
            cycle, address = 1, 0
            sat = dict.fromkeys(("pre", "c", "h"), 0)
            while not ctx.get(dut.done):
                count(ctx, sat)
                bits = sum(1 << j for j in range(hidden) if ready[j] <= cycle)
                ctx.set(dut.done_bits, sum(bits << (g * hidden) for g in range(gates)))
                for g in range(gates):
                    ctx.set(dut.y[g], int(y[g, address]))
                ctx.set(dut.y_h, int(y_h[address]))
                address = ctx.get(dut.y_addr)
                await ctx.tick()
                cycle += 1
                assert cycle < 500
            count(ctx, sat)                  # the last neuron's h comes with ``done``
            h = unpack(ctx.get(dut.h_state.as_value()), dw, cfg.layers * hidden)
            c = unpack(ctx.get(dut.c_state.as_value()), dw, cfg.layers * hidden)
            out.append((h.reshape(cfg.layers, hidden), c.reshape(cfg.layers, hidden), cycle,
                        sat))

    def count(ctx, sat):
        for q in sat:
            sat[q] += ctx.get(getattr(dut, f"sat_{q}"))

    simulate(dut, tb)
    return out


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("fmt", ["default", "small"])
def test_cell_matches_golden(cell, fmt):
    cfg = dataclasses.replace(DEFAULT, cell=cell, input_size=5, hidden_size=7, layers=2)
    if fmt == "small":
        cfg = dataclasses.replace(cfg, data_format=dataclasses.replace(
            cfg.data_format, width=12, frac=8, rounding="floor"), lut_frac=6, lut_int=2)
    seed = len(cell) + 10 * (fmt == "small")
    print("seed", seed)
    rng = np.random.default_rng(seed)
    df, hidden, gates = cfg.data_format, cfg.hidden_size, cfg.gates
    steps = []
    for layer, clear in ((0, 1), (1, 0), (0, 0), (1, 0), (0, 1)):
        y = rng.integers(df.min_int, df.max_int + 1, (gates, hidden))
        y[:, 0], y[:, 1] = df.min_int, df.max_int
        y_h = rng.integers(df.min_int, df.max_int + 1, hidden)
        ready = np.sort(rng.integers(1, 30, hidden))
        steps.append((layer, y, y_h, clear, ready))
    results = rtl_cell(cfg, steps)

    h_state = np.zeros((cfg.layers, hidden), dtype=np.int64)
    c_state = np.zeros_like(h_state)
    total = dict.fromkeys(("pre", "c", "h"), 0)
    for (layer, y, y_h, clear, ready), (h, c, done_at, sat) in zip(steps, results, strict=True):
        if clear:
            h_state[:], c_state[:] = 0, 0
        if cell == "lstm":
            s = lstm_step(*y, c_state[layer], cfg)
            c_state[layer] = s.c
        else:
            s = gru_step(y[0], y[1], y[2], y_h, h_state[layer], cfg)
        h_state[layer] = s.h
        want = {"pre": s.sat_pre.sum(), "c": s.sat_c.sum(), "h": s.sat_h.sum()}
        assert sat == want
        total = {q: total[q] + want[q] for q in total}
        np.testing.assert_array_equal(h, h_state)
        if cell == "lstm":
            np.testing.assert_array_equal(c, c_state)
        issue = 0
        for j in range(hidden):
            issue = max(issue + 1, ready[j])
        assert done_at == issue + LATENCY
    # gate outputs over the whole data format (not only table values) make the narrowings clip;
    # the LSTM's h = o * tanh(c) cannot (|tanh| <= 1 from the table)
    clipped = ("c",) if cell == "lstm" else ("pre", "h")
    assert all(total[q] > 0 for q in clipped), total
