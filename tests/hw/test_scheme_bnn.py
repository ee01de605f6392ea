"""BNN memoization scheme in Amaranth's simulator, the testbench acting as the dot-product path:
reuse decisions against golden.bnn + golden.comparator, their times (core.timing), the queue of
computed neurons, done bits, the gate output buffer keeping reused outputs, memo_enable = 0."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.layout import BIAS, WEIGHT
from core.timing import LAT_BNN, LAT_QUEUE, LAT_REUSE
from golden.bnn import popcount_yb, sign_bits
from golden.comparator import reuse as golden_reuse
from hw.schemes.bnn import BnnMemo
from tests.hw.rtl import put, simulate

CFG = dataclasses.replace(DEFAULT, input_size=5, hidden_size=6, layers=2, bnn_bits=4,
                          predictor="bnn", theta=0.5)


def rtl_scheme(cfg, w, steps, mode_abs=0, memo_enable=1, result_delay=4):
    """Load the weights w[l] (their signs), then run ``steps`` (layer, v, clear). Computed
    neurons (taken from the queue, or issued in order with memo_enable = 0) come back as results
    ``result_delay`` cycles later with y = 1000 * step + neuron. Per step: events
    {"computed", "reused", "queued", "done"} -> {neuron or count: cycle}, and y (H,)."""
    dut = BnnMemo(cfg, pair=False)
    hidden, out = cfg.hidden_size, []

    async def tb(ctx):
        ctx.set(dut.theta, cfg.theta_int)
        ctx.set(dut.mode_abs, mode_abs)
        ctx.set(dut.memo_enable, memo_enable)
        for layer in range(cfg.layers):
            for row in range(hidden):
                for col, value in enumerate(w[layer][row]):
                    await put(ctx, dut.load, kind=WEIGHT, layer=layer, row=row, col=col,
                              data=int(value))
                # a bias with the opposite sign must not reach the sign memory
                await put(ctx, dut.load, kind=BIAS, layer=layer, row=row, col=0,
                          data=-1 if w[layer][row][0] >= 0 else 1)
        for s, (layer, v, clear) in enumerate(steps):
            for k in range(cfg.max_row_length):
                ctx.set(dut.v[k], int(v[k]) if k < len(v) else 0)
            ctx.set(dut.layer, layer)
            ctx.set(dut.start, 1)
            ctx.set(dut.clear, clear)
            ctx.set(dut.queue.ready, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            ctx.set(dut.clear, 0)
            events = {"computed": {}, "reused": {}, "queued": {}, "done": {}}
            results, issue = {}, 0
            for cycle in range(1, 200):
                ctx.set(dut.issue, 0)
                if memo_enable == 0 and cycle % 3 == 1 and issue < hidden:   # in order
                    ctx.set(dut.issue, 1)
                    results[cycle + result_delay] = issue
                    issue += 1
                ctx.set(dut.result.valid, cycle in results)
                ctx.set(dut.result.p.neuron, results.get(cycle, 0))
                ctx.set(dut.result.p.y, 1000 * s + results.get(cycle, 0))
                if ctx.get(dut.queue.valid):
                    j = ctx.get(dut.queue.p)
                    events["queued"][j] = cycle
                    results[cycle + result_delay] = j
                for name in ("computed", "reused"):
                    if ctx.get(getattr(dut, name)):
                        events[name][len(events[name])] = cycle
                done = ctx.get(dut.done)
                for j in range(hidden):
                    if done >> j & 1:
                        events["done"].setdefault(j, cycle)
                assert ctx.get(dut.in_order) == (not memo_enable)
                await ctx.tick()
            y = np.zeros(hidden, dtype=np.int64)
            for j in range(hidden):
                ctx.set(dut.y_addr, j)
                await ctx.tick()
                y[j] = ctx.get(dut.y)
            out.append((events, y))

    simulate(dut, tb)
    return out


@pytest.mark.parametrize("mode", ["relative", "absolute"])
def test_decisions_times_and_outputs(mode):
    cfg = dataclasses.replace(CFG, mode=mode, theta=0.5 if mode == "relative" else 2.0)
    seed = 5 + (mode == "absolute")
    print("seed", seed)
    rng = np.random.default_rng(seed)
    hidden, k = cfg.hidden_size, cfg.row_length(1)
    w = [rng.integers(-3000, 3000, (hidden, cfg.row_length(n))) for n in range(cfg.layers)]
    v0 = rng.integers(-2000, 2000, k)
    v1 = np.where(rng.random(k) < 0.2, -v0 - 1, v0)
    results = rtl_scheme(cfg, w, [(1, v0, 1), (1, v1, 0)], mode_abs=int(mode == "absolute"))

    signs = sign_bits(w[1])
    yb0, yb1 = (popcount_yb(signs, sign_bits(v)[None, :]).ravel() for v in (v0, v1))
    reuse = golden_reuse(yb1, yb0, True, 0, cfg.theta_int, cfg.theta_format.frac, mode, 0)
    assert 0 < reuse.sum() < hidden
    decided = LAT_BNN + (np.arange(hidden) + 1) * cfg.bnn_cycles(1)
    for s, (events, y) in enumerate(results):
        reused = reuse if s == 1 else np.zeros(hidden, dtype=bool)
        assert sorted(events["computed"].values()) == list(decided[~reused])
        assert sorted(events["reused"].values()) == list(decided[reused])
        assert events["queued"] == {j: decided[j] + LAT_QUEUE - 1
                                    for j in np.flatnonzero(~reused)}
        for j in range(hidden):
            want = decided[j] + LAT_REUSE if reused[j] else decided[j] + LAT_QUEUE - 1 + 4 + 1
            assert events["done"][j] == want
        np.testing.assert_array_equal(y, np.where(reused, 0, 1000 * s) + np.arange(hidden))


def test_memo_disabled_computes_in_order():
    rng = np.random.default_rng(9)
    w = [rng.integers(-3000, 3000, (CFG.hidden_size, CFG.row_length(n))) for n in range(2)]
    v = rng.integers(-2000, 2000, CFG.row_length(0))
    results = rtl_scheme(CFG, w, [(0, v, 1), (0, v, 0)], memo_enable=0)
    for events, _ in results:
        issued = [1 + 3 * j for j in range(CFG.hidden_size)]
        assert list(events["computed"].values()) == issued
        assert events["reused"] == events["queued"] == {}
        assert events["done"] == {j: issued[j] + 4 + 1 for j in range(CFG.hidden_size)}
    np.testing.assert_array_equal(results[-1][1], 1000 + np.arange(CFG.hidden_size))
