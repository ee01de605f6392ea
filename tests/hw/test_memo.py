"""Memo buffer in Amaranth's simulator against a dictionary model of its entries."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from hw.memo import MemoBuffer
from tests.hw.rtl import simulate


@pytest.mark.parametrize("pair", [False, True])
@pytest.mark.parametrize("cap", [0, 5])
def test_memo_matches_model(pair, cap):
    cfg = dataclasses.replace(DEFAULT, input_size=5, hidden_size=6, layers=2, reuse_cap=cap)
    seed = 2 * pair + cap
    print("seed", seed)
    rng = np.random.default_rng(seed)
    dut = MemoBuffer(cfg, pair)
    entries = cfg.layers * cfg.hidden_size
    k, dfmt = cfg.max_row_length, cfg.data_format
    model = {"valid": [0] * cfg.layers, "yb": [0] * entries, "count": [0] * entries,
             "y": [(0, 0)] * entries}
    checks = {"lookup": 0, "y": 0, "valid": 0}

    async def tb(ctx):
        for _ in range(400):
            clear = rng.random() < 0.03
            update = rng.random() < 0.5
            ywrite = rng.random() < 0.5
            u_addr, y_addr = (int(a) for a in rng.integers(0, entries, 2))
            u_yb = int(rng.integers(-k, k + 1))
            u_count = int(rng.integers(0, cap + 1)) if cap else 0
            u_last = bool(rng.random() < 0.1)
            u_layer = int(rng.integers(0, cfg.layers))
            y_val = tuple(int(a) for a in rng.integers(dfmt.min_int, dfmt.max_int + 1, 2))
            look, read = (int(a) for a in rng.integers(0, entries, 2))
            ctx.set(dut.clear, clear)
            ctx.set(dut.update.valid, update)
            ctx.set(dut.update.p.addr, u_addr)
            ctx.set(dut.update.p.yb_m, u_yb)
            ctx.set(dut.update.p.reuse_count, u_count)
            ctx.set(dut.update.p.last, u_last)
            ctx.set(dut.layer, u_layer)
            ctx.set(dut.y_write.valid, ywrite)
            ctx.set(dut.y_write.p.addr, y_addr)
            ctx.set(dut.y_write.p.y, y_val[0])
            ctx.set(dut.y_write.p.y_h, y_val[1])
            ctx.set(dut.lookup_addr, look)
            ctx.set(dut.y_addr, read)
            assert ctx.get(dut.valid) == model["valid"][u_layer]
            checks["valid"] += 1
            # synchronous reads return the entry as it was before this cycle's writes
            expect = (model["yb"][look], model["count"][look], model["y"][read])
            await ctx.tick()
            assert ctx.get(dut.yb_m) == expect[0]
            if cap:
                assert ctx.get(dut.reuse_count) == expect[1]
            assert ctx.get(dut.y) == expect[2][0]
            if pair:
                assert ctx.get(dut.y_h) == expect[2][1]
            checks["lookup"] += 1
            if update:
                model["yb"][u_addr], model["count"][u_addr] = u_yb, u_count
            if clear:
                model["valid"] = [0] * entries
            elif update and u_last:
                model["valid"][u_layer] = 1
            if ywrite:
                model["y"][y_addr] = y_val if pair else (y_val[0], 0)

    simulate(dut, tb)
    assert checks["lookup"] == 400
