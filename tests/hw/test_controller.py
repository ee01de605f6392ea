"""Controller in Amaranth's simulator, with a model of the cell unit: input and output streams
under random gaps and back-pressure, the layer input vector v, sequence starts, counters."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from hw.controller import Controller
from tests.hw.rtl import put, simulate, unpack


@pytest.mark.parametrize("layers", [1, 3])
def test_controller_against_model(layers):
    cfg = dataclasses.replace(DEFAULT, input_size=3, hidden_size=4, layers=layers)
    seed = layers
    print("seed", seed)
    rng = np.random.default_rng(seed)
    dut = Controller(cfg)
    xs, hidden, dw, kmax = cfg.input_size, cfg.hidden_size, cfg.data_format.width, \
        cfg.max_row_length
    lengths = [3, 1, 2]
    x = [rng.integers(-900, 900, (t, xs)) for t in lengths]
    log = {"steps": [], "h": [], "counters": [], "expect_h": [], "expect_cycles": []}
    state = {"h": np.zeros((layers, hidden), dtype=np.int64), "finished": False}

    async def producer(ctx):
        for b, seq in enumerate(x):
            for t in range(len(seq)):
                for k in range(xs):
                    if rng.random() < 0.3:
                        await ctx.tick().repeat(int(rng.integers(1, 5)))
                    await put(ctx, dut.x, data=int(seq[t, k]), first=int(t == 0 and k == 0))
            while len(log["counters"]) <= b:
                await ctx.tick()

    async def consumer(ctx):
        for seq in x:
            for _ in range(len(seq) * hidden):
                while rng.random() < 0.4:
                    await ctx.tick()
                ctx.set(dut.h.ready, 1)
                data, last = await ctx.tick().sample(dut.h.p.data, dut.h.p.last).until(
                    dut.h.valid)
                log["h"].append((data, last))
                ctx.set(dut.h.ready, 0)
            while ctx.get(dut.busy):
                await ctx.tick()
            counts = [ctx.get(dut.cycles)] + [ctx.get(dut.computed_count[g]) for g in
                                               range(cfg.gates)]
            log["counters"].append(counts)
        state["finished"] = True

    async def cell(ctx):
        seq_cycles, pulses = 0, np.zeros(cfg.gates, dtype=np.int64)
        while not state["finished"]:
            if not ctx.get(dut.start):
                await ctx.tick()
                continue
            layer, clear = ctx.get(dut.layer), ctx.get(dut.clear)
            if clear:
                state["h"][:] = 0
                if log["steps"]:
                    log["expect_cycles"].append([seq_cycles, *pulses])
                seq_cycles, pulses = 0, np.zeros(cfg.gates, dtype=np.int64)
            await ctx.tick()
            v = unpack(ctx.get(dut.v.as_value()), dw, kmax)
            log["steps"].append((layer, clear, v, state["h"].copy()))
            delay = int(rng.integers(1, 12))
            for _ in range(delay - 1):
                gates = rng.random(cfg.gates) < 0.5
                ctx.set(dut.computed, int(sum(int(g) << k for k, g in enumerate(gates))))
                pulses += gates
                await ctx.tick()
            ctx.set(dut.computed, 0)
            state["h"][layer] = rng.integers(-3000, 3000, hidden)
            ctx.set(dut.h_state, [int(v) for v in state["h"].reshape(-1)])
            if layer == layers - 1:
                log["expect_h"].extend(state["h"][layer])
            ctx.set(dut.cell_done, 1)
            await ctx.tick()
            ctx.set(dut.cell_done, 0)
            seq_cycles += delay + 1
        log["expect_cycles"].append([seq_cycles, *pulses])

    simulate(dut, producer, consumer, cell)

    # v of every step: [x_t or the layer below's h, the layer's own h (0 at a sequence start)]
    steps = iter(log["steps"])
    for seq in x:
        for t in range(len(seq)):
            for layer in range(layers):
                got_layer, clear, v, h_before = next(steps)
                assert (got_layer, clear) == (layer, int(t == 0 and layer == 0))
                below = seq[t] if layer == 0 else h_before[layer - 1]
                own = h_before[layer] if not clear else np.zeros(hidden)
                want = np.concatenate([below, own])
                np.testing.assert_array_equal(v[:len(want)], want)
    assert next(steps, None) is None
    assert [d for d, _ in log["h"]] == log["expect_h"]
    assert [last for _, last in log["h"]] == [int(k % hidden == hidden - 1)
                                             for k in range(len(log["h"]))]
    assert log["counters"] == log["expect_cycles"]


def test_saturation_counters_stop_at_their_maximum():
    """Six saturations a cycle (the most a GRU step can flag) into a 16-bit counter: it counts
    them exactly up to 2**16 - 1, then stays there (a wrapped count could read 0)."""
    from hw.controller import saturation_pulse_width

    cfg = dataclasses.replace(DEFAULT, cell="gru", input_size=3, hidden_size=4,
                              counter_width=16)
    dut = Controller(cfg)
    top, per_cycle = (1 << 16) - 1, 6
    assert per_cycle < 1 << saturation_pulse_width(cfg)
    seen = []

    async def tb(ctx):
        ctx.set(dut.sat_pre, per_cycle)
        for cycle in range(top // per_cycle + 4):
            await ctx.tick()
            if cycle in (9, top // per_cycle - 2, top // per_cycle + 3):
                seen.append((cycle, ctx.get(dut.sat_pre_count[0])))
        ctx.set(dut.sat_pre, 0)
        await ctx.tick().repeat(2)
        seen.append(("steady", ctx.get(dut.sat_pre_count[0])))

    simulate(dut, tb)
    # the flags are registered once before they are counted: after tick n, n - 1 cycles' worth
    assert seen[0] == (9, 9 * per_cycle)
    assert seen[1] == (top // per_cycle - 2, (top // per_cycle - 2) * per_cycle)
    assert seen[2][1] == top and seen[3] == ("steady", top)
