"""synth/board.py: the board harness loads every weight address, then keeps the core busy."""

from __future__ import annotations

import dataclasses

import pytest
from amaranth.sim import Simulator

from core.config import DEFAULT
from synth.board import BoardHarness, harness_verilog

TINY = dataclasses.replace(DEFAULT, name="epur_tiny", input_size=2, hidden_size=4, lanes=2,
                           bnn_bits=4, lut_frac=3)


def test_harness_verilog_has_only_board_ports():
    text = harness_verilog(TINY, "epur_tiny_h")
    assert "module epur_tiny_h(clk, rst, leds, fire);" in text
    assert "module \\epur_tiny_h.core " in text


@pytest.mark.parametrize("predictor", ["none", "bnn"])
def test_harness_drives_the_core(predictor):
    cfg = dataclasses.replace(TINY, predictor=predictor)
    harness = BoardHarness(cfg)
    core = harness.core
    load_cycles = 1 << cfg.weight_address_bits
    seen = {"loaded_at": None, "h": 0, "leds": set(), "busy": 0}

    async def bench(ctx):
        for cycle in range(load_cycles + 600):
            await ctx.tick()
            if seen["loaded_at"] is None and not ctx.get(core.wl.valid):
                seen["loaded_at"] = cycle
            if ctx.get(core.h.valid) and ctx.get(core.h.ready):
                seen["h"] += 1
            seen["busy"] += ctx.get(core.busy)
            seen["leds"].add(ctx.get(harness.leds))

    sim = Simulator(harness)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    # every load-port address once, then inputs: the core computes and emits h elements
    assert seen["loaded_at"] == pytest.approx(load_cycles, abs=2)
    assert seen["busy"] > 100
    assert seen["h"] >= cfg.hidden_size * 4
    assert len(seen["leds"]) > 8          # the LED fold changes as results come out
