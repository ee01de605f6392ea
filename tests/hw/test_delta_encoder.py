"""Delta encoder in Amaranth's simulator against golden/schemes/delta.py ``encode``: the
elements sent and their deltas, step after step of two layers with a sequence start between,
separate x and h thresholds, random back-pressure on ``o``; the scan's timing and pulses."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core import timing
from core.config import DEFAULT
from golden.schemes.delta import encode
from hw.delta_encoder import DeltaEncoder
from tests.hw.rtl import simulate, start_step


def rtl_encode(cfg, steps, seed=0):
    """``steps``: (layer, clear, v) in order. Returns, per step, the (col, delta) pairs sent,
    the cycles (after ``start``) of the ``changed`` and ``unchanged`` pulses, and the first
    cycle ``idle`` was seen with everything taken."""
    rng = np.random.default_rng(seed)
    dut = DeltaEncoder(cfg)
    out = []

    async def tb(ctx):
        ctx.set(dut.theta, cfg.theta_int)
        ctx.set(dut.theta_h, cfg.theta_h_int)
        for layer, clear, v in steps:
            padded = list(v) + [0] * (cfg.max_row_length - len(v))
            for k, value in enumerate(padded):
                ctx.set(dut.v[k], int(value))
            sent, changed_at, unchanged_at = [], [], []
            ctx.set(dut.o.ready, 0)
            await start_step(ctx, dut, layer, clear)
            cycle = 1
            while True:
                ready = rng.random() < 0.6
                ctx.set(dut.o.ready, ready)
                if ctx.get(dut.changed):
                    changed_at.append(cycle)
                if ctx.get(dut.unchanged):
                    unchanged_at.append(cycle)
                if ctx.get(dut.idle):
                    break
                if ready and ctx.get(dut.o.valid):
                    sent.append((ctx.get(dut.o.p.col), ctx.get(dut.o.p.delta)))
                await ctx.tick()
                cycle += 1
            out.append((sent, changed_at, unchanged_at, cycle))

    simulate(dut, tb)
    return out


@pytest.mark.parametrize("theta, theta_h", [(0.0, 0.0), (0.125, 0.5), (0.5, 0.0625)])
def test_sends_what_the_golden_encoder_sends(theta, theta_h):
    cfg = dataclasses.replace(DEFAULT, input_size=3, hidden_size=5, layers=2, predictor="delta",
                              theta=theta, theta_h=theta_h)
    seed = int(theta * 64 + theta_h * 16)
    print("seed", seed)
    rng = np.random.default_rng(seed)
    df = cfg.data_format
    steps, v_hat = [], [np.zeros(cfg.row_length(k), dtype=np.int64) for k in range(2)]
    moving = [rng.integers(df.min_int, df.max_int + 1, cfg.row_length(k)) for k in range(2)]
    for t in range(6):
        for layer in range(2):
            jump = rng.integers(-2000, 2001, cfg.row_length(layer))
            jump[rng.random(jump.shape) < 0.3] = rng.choice([df.min_int, df.max_int])
            moving[layer] = np.clip(moving[layer] + jump, df.min_int, df.max_int)
            steps.append((layer, int(t == 3 and layer == 0), moving[layer].copy()))
    got = rtl_encode(cfg, steps, seed)
    for (layer, clear, v), (sent, changed_at, unchanged_at, idle_at) in zip(steps, got,
                                                                              strict=True):
        if clear:
            v_hat = [np.zeros_like(a) for a in v_hat]
        changed, delta = encode(cfg, layer, v[None], v_hat[layer][None])
        v_hat[layer] = v_hat[layer] + delta[0]
        want = [(int(k), int(delta[0, k])) for k in np.flatnonzero(changed[0])]
        assert sent == want
        row = cfg.row_length(layer)
        examined = sorted(changed_at + unchanged_at)
        assert examined == [timing.LAT_ENCODE + k for k in range(row)]
        assert changed_at == [timing.LAT_ENCODE + k for k, _ in want]
        assert idle_at >= timing.LAT_ENCODE + row
