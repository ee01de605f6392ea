"""Compute unit in Amaranth's simulator: gate outputs against golden.mu(golden.dpu.dot), reuse
decisions against golden.comparator, and the schedule of its docstring (done times)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.layout import address_fields
from core.timing import LAT_BNN, LAT_DPU_START, LAT_MU, LAT_QUEUE, LAT_REUSE
from golden.bnn import popcount_yb, sign_bits
from golden.comparator import reuse as golden_reuse
from golden.dpu import dot
from golden.mu import mu, preactivation
from hw.cu import ComputeUnit
from tests.hw.rtl import put, simulate, start_step


def rtl_cu(cfg, gate, w, b, b_h, steps, theta_int=0, mode_abs=0, memo_enable=1):
    """Load one gate's parameters (w[l] (H, X_l+H), b[l], b_h[l]), then run ``steps``: a list of
    (layer, v, clear). Per step: y, y_h, the cycle each done bit rose, computed and reused."""
    dut = ComputeUnit(cfg, gate)
    hidden = cfg.hidden_size
    out = []

    async def tb(ctx):
        if cfg.memo:
            ctx.set(dut.theta, theta_int)
            ctx.set(dut.mode_abs, mode_abs)
            ctx.set(dut.memo_enable, memo_enable)
        await load_gate(ctx, dut, cfg, w, b, b_h)
        for layer, v, clear in steps:
            for k in range(cfg.max_row_length):
                ctx.set(dut.v[k], int(v[k]) if k < len(v) else 0)
            await start_step(ctx, dut, layer, clear)
            done_at, (computed, reused) = await until_done(
                ctx, dut, lambda: (ctx.get(dut.computed), ctx.get(dut.reused)))
            y, y_h = np.zeros(hidden, dtype=np.int64), np.zeros(hidden, dtype=np.int64)
            for j in range(hidden):
                ctx.set(dut.y_addr, j)
                await ctx.tick()
                y[j], y_h[j] = ctx.get(dut.y), ctx.get(dut.y_h)
            out.append((y, y_h, done_at, computed, reused))

    simulate(dut, tb)
    return out


async def load_gate(ctx, dut, cfg, w, b, b_h):
    """One gate's parameters into a compute unit's ``load`` port (this one or the batched)."""
    for layer in range(cfg.layers):
        for row in range(cfg.hidden_size):
            for col, value in enumerate(w[layer][row]):
                await put(ctx, dut.load, kind=0, layer=layer, row=row, col=col, data=int(value))
            await put(ctx, dut.load, kind=1, layer=layer, row=row, col=0,
                      data=int(b[layer][row]))
            await put(ctx, dut.load, kind=2, layer=layer, row=row, col=0,
                      data=int(b_h[layer][row]))


async def until_done(ctx, dut, sample, limit=5000):
    """Tick from a step's first cycle until every ``done`` bit rose: the cycle each rose, and
    the sum over those cycles of ``sample()`` (a tuple of counts sampled each cycle)."""
    hidden = len(dut.done)
    done_at, total, cycle = np.full(hidden, -1), None, 1
    while (done_at < 0).any():
        counts = [np.asarray(x) for x in sample()]
        total = counts if total is None else [t + x for t, x in zip(total, counts, strict=True)]
        done = ctx.get(dut.done)
        for j in range(hidden):
            if done >> j & 1 and done_at[j] < 0:
                done_at[j] = cycle
        await ctx.tick()
        cycle += 1
        assert cycle < limit
    return done_at, total


def random_gate(cfg, rng):
    wf = cfg.weight_format
    w = [rng.integers(wf.min_int, wf.max_int + 1, (cfg.hidden_size, cfg.row_length(k))) // 8
         for k in range(cfg.layers)]
    b = [rng.integers(wf.min_int, wf.max_int + 1, cfg.hidden_size) for _ in range(cfg.layers)]
    b_h = [rng.integers(wf.min_int, wf.max_int + 1, cfg.hidden_size)
           for _ in range(cfg.layers)]
    return w, b, b_h


def expected(cfg, kind, layer, w, b, b_h, v):
    xl = cfg.layer_input_size(layer)
    if kind == "pair":
        return (preactivation(dot(w[layer][:, :xl], v[:xl]), b[layer], cfg),
                preactivation(dot(w[layer][:, xl:], v[xl:]), b_h[layer], cfg))
    return mu(dot(w[layer], v), b[layer], kind, cfg), None


CFG = dataclasses.replace(DEFAULT, input_size=5, hidden_size=6, layers=2, lanes=4, bnn_bits=8,
                          predictor="none")


@pytest.mark.parametrize("cell,gate", [("lstm", 0), ("lstm", 2), ("gru", 2)])
@pytest.mark.parametrize("lanes", [3, 4])
def test_baseline_cu_outputs_and_schedule(cell, gate, lanes):
    cfg = dataclasses.replace(CFG, cell=cell, lanes=lanes)
    seed = gate + 10 * lanes + (cell == "gru")
    print("seed", seed)
    rng = np.random.default_rng(seed)
    kind = cfg.gate_function(gate)
    w, b, b_h = random_gate(cfg, rng)
    df = cfg.data_format
    vs = [rng.integers(df.min_int, df.max_int + 1, cfg.row_length(k)) for k in (0, 1)]
    vs[1][:3] = [df.min_int, df.max_int, 0]
    results = rtl_cu(cfg, gate, w, b, b_h, [(0, vs[0], 1), (1, vs[1], 0)])
    for layer, (y, y_h, done_at, computed, reused) in enumerate(results):
        want, want_h = expected(cfg, kind, layer, w, b, b_h, vs[layer])
        np.testing.assert_array_equal(y, want)
        if want_h is not None:
            np.testing.assert_array_equal(y_h, want_h)
        kd = cfg.dpu_cycles(layer)
        first_read = LAT_DPU_START + np.arange(cfg.hidden_size) * kd
        np.testing.assert_array_equal(done_at, first_read + kd + LAT_MU)
        assert (computed, reused) == (cfg.hidden_size, 0)


@pytest.mark.parametrize("cell,gate", [("lstm", 1), ("gru", 2)])
@pytest.mark.parametrize("mode", ["relative", "absolute"])
def test_memo_cu_reuses_as_golden(cell, gate, mode):
    theta = 0.5 if mode == "relative" else 2.0
    cfg = dataclasses.replace(CFG, cell=cell, predictor="bnn", theta=theta, mode=mode)
    seed = 3 * gate + (mode == "absolute")
    print("seed", seed)
    rng = np.random.default_rng(seed)
    kind = cfg.gate_function(gate)
    w, b, b_h = random_gate(cfg, rng)
    df = cfg.data_format
    v0 = rng.integers(df.min_int, df.max_int + 1, cfg.row_length(0))
    v1 = v0.copy()
    flip = rng.random(len(v1)) < 0.15
    v1[flip] = -v1[flip] - 1
    steps = [(0, v0, 1), (0, v1, 0), (0, v0, 1)]
    results = rtl_cu(cfg, gate, w, b, b_h, steps, cfg.theta_int, int(mode == "absolute"))

    signs = sign_bits(w[0])
    yb0 = popcount_yb(signs, sign_bits(v0)[None, :])
    yb1 = popcount_yb(signs, sign_bits(v1)[None, :])
    reuse = golden_reuse(yb1, yb0, True, 0, cfg.theta_int, cfg.theta_format.frac, mode, 0)
    assert 0 < reuse.sum() < cfg.hidden_size
    y0, y0_h = expected(cfg, kind, 0, w, b, b_h, v0)
    y1, y1_h = expected(cfg, kind, 0, w, b, b_h, v1)
    # step 0 and step 2 (after clear) compute everything
    for y, _, _, computed, reused in (results[0], results[2]):
        np.testing.assert_array_equal(y, y0)
        assert (computed, reused) == (cfg.hidden_size, 0)
    y, y_h, done_at, computed, reused = results[1]
    np.testing.assert_array_equal(y, np.where(reuse, y0, y1))
    if kind == "pair":
        np.testing.assert_array_equal(y_h, np.where(reuse, y0_h, y1_h))
    assert (computed, reused) == (cfg.hidden_size - reuse.sum(), reuse.sum())
    decided = LAT_BNN + (np.arange(cfg.hidden_size) + 1) * cfg.bnn_cycles(0)
    np.testing.assert_array_equal(done_at[reuse], decided[reuse] + LAT_REUSE)
    end, kd = -1, cfg.dpu_cycles(0)
    for j in np.flatnonzero(~reuse):
        end = max(end, decided[j] + LAT_QUEUE) + kd
        assert done_at[j] == end + LAT_MU


def test_memo_enable_off_schedules_as_baseline():
    cfg = dataclasses.replace(CFG, predictor="bnn", theta=8.0)
    rng = np.random.default_rng(7)
    w, b, b_h = random_gate(cfg, rng)
    v = rng.integers(-2000, 2000, cfg.row_length(0))
    results = rtl_cu(cfg, 0, w, b, b_h, [(0, v, 1), (0, v, 0)], cfg.theta_int, 0, memo_enable=0)
    kd = cfg.dpu_cycles(0)
    for y, _, done_at, computed, reused in results:
        np.testing.assert_array_equal(y, expected(cfg, "sigmoid", 0, w, b, b_h, v)[0])
        first_read = LAT_DPU_START + np.arange(cfg.hidden_size) * kd
        np.testing.assert_array_equal(done_at, first_read + kd + LAT_MU)
        assert (computed, reused) == (cfg.hidden_size, 0)


def test_columns_outside_a_row_are_ignored():
    cfg = dataclasses.replace(CFG, predictor="none")
    rng = np.random.default_rng(11)
    w, b, b_h = random_gate(cfg, rng)
    # columns X_l + H .. 2**col_bits - 1 of every row carry garbage: they must not land in the
    # row's padding lanes or in the next row
    col_bits = dict(address_fields(cfg))["col"]
    padded = [np.concatenate([w[k], rng.integers(-30000, 30000, (cfg.hidden_size,
                              (1 << col_bits) - cfg.row_length(k)))], axis=1)
              for k in range(cfg.layers)]
    v = rng.integers(-3000, 3000, cfg.max_row_length)     # nonzero beyond layer 0's row too
    results = rtl_cu(cfg, 0, padded, b, b_h, [(0, v, 1), (1, v, 0)])
    for layer, (y, *_) in enumerate(results):
        want = expected(cfg, "sigmoid", layer, w, b, b_h, v[:cfg.row_length(layer)])[0]
        np.testing.assert_array_equal(y, want)
