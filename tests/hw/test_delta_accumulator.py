"""Column accumulator in Amaranth's simulator: the pre-activation memory holds the exact sum of
``W[:, k] * delta_k`` (the golden model's ``W . v_hat``), at the extremes of the formats, with
columns back to back or apart, x and h sums apart for the GRU n gate; ``idle`` and the column
timing of golden/cycles.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core import timing
from core.config import DEFAULT
from hw.delta_accumulator import ColumnAccumulator
from hw.rows import column_words
from tests.hw.rtl import simulate, start_step


def rtl_accumulate(cfg, pair, w, steps, seed=0, gaps=0.3):
    """``w[l]`` (H, X_l + H) weights; ``steps``: (layer, clear, [(col, delta), ...]).
    Returns per step the pre-activations (H,) and (H,) of the h sums, the cycles (after
    ``start``) each column was taken, and the cycle ``idle`` rose."""
    rng = np.random.default_rng(seed)
    dut = ColumnAccumulator(cfg, pair)
    base, depth = column_words(cfg)
    n, p = cfg.lanes, cfg.delta_words
    memory = np.zeros((depth, n), dtype=np.int64)
    for layer, wl in enumerate(w):
        for col in range(wl.shape[1]):
            for j in range(cfg.hidden_size):
                memory[base[layer] + col * p + j // n, j % n] = wl[j, col]
    ww = cfg.weight_format.width
    out = []

    async def tb(ctx):
        def word(addr):
            return sum((int(x) & ((1 << ww) - 1)) << (ww * k) for k, x in enumerate(memory[addr]))

        for layer, clear, columns in steps:
            await start_step(ctx, dut, layer, clear)
            cycle, todo, taken, idle_at = 1, list(columns), [], None
            while idle_at is None:
                offer = bool(todo) and rng.random() >= gaps
                ctx.set(dut.i.valid, offer)
                if offer:
                    ctx.set(dut.i.p.col, todo[0][0])
                    ctx.set(dut.i.p.delta, todo[0][1])
                if offer and ctx.get(dut.i.ready):
                    todo.pop(0)
                    taken.append(cycle)
                if not todo and not offer and ctx.get(dut.idle):
                    idle_at = cycle
                addr = ctx.get(dut.w_addr)
                await ctx.tick()
                ctx.set(dut.w.as_value(), word(min(addr, depth - 1)))
                cycle += 1
            ctx.set(dut.i.valid, 0)
            pre, pre_h = [], []
            for j in range(cfg.hidden_size):
                ctx.set(dut.pre_addr, j)
                await ctx.tick()
                pre.append(ctx.get(dut.pre))
                pre_h.append(ctx.get(dut.pre_h))
            out.append((np.array(pre), np.array(pre_h), taken, idle_at))

    simulate(dut, tb)
    return out


@pytest.mark.parametrize("pair", [False, True])
@pytest.mark.parametrize("lanes, hidden", [(4, 6), (1, 3), (8, 5), (3, 7)])
def test_sums_are_exact(pair, lanes, hidden):
    cfg = dataclasses.replace(DEFAULT, input_size=4, hidden_size=hidden, layers=2, lanes=lanes,
                              predictor="delta")
    seed = lanes * 10 + hidden + 100 * pair
    print("seed", seed)
    rng = np.random.default_rng(seed)
    wf, df = cfg.weight_format, cfg.data_format
    w = [rng.choice([wf.min_int, wf.max_int, 3], (hidden, cfg.row_length(k))) for k in range(2)]
    v_hat = [np.zeros(cfg.row_length(k), dtype=np.int64) for k in range(2)]
    steps, want = [], []
    for t in range(5):
        for layer in range(2):
            if t == 3 and layer == 0:
                v_hat = [np.zeros_like(a) for a in v_hat]
            v = rng.choice([df.min_int, df.max_int, 0, 5], cfg.row_length(layer))
            changed = (v != v_hat[layer]) & (rng.random(v.shape) < 0.7)
            cols = [(int(k), int(v[k] - v_hat[layer][k])) for k in np.flatnonzero(changed)]
            v_hat[layer] = np.where(changed, v, v_hat[layer])
            steps.append((layer, int(t == 3 and layer == 0), cols))
            xl = cfg.layer_input_size(layer)
            x_part = w[layer][:, :xl] @ v_hat[layer][:xl]
            h_part = w[layer][:, xl:] @ v_hat[layer][xl:]
            want.append((x_part, h_part) if pair else (x_part + h_part, np.zeros(hidden)))
    got = rtl_accumulate(cfg, pair, w, steps, seed)
    for (pre, pre_h, taken, idle_at), (x_part, h_part), (_, _, cols) in zip(
            got, want, steps, strict=True):
        np.testing.assert_array_equal(pre, x_part)
        np.testing.assert_array_equal(pre_h, h_part)
        # a column every P cycles at most; idle LAT_ACCUMULATE cycles after the last word
        assert len(taken) == len(cols)
        assert all(b - a >= cfg.delta_words for a, b in zip(taken, taken[1:], strict=False))
        if taken:
            assert idle_at == taken[-1] + cfg.delta_words + timing.LAT_ACCUMULATE
