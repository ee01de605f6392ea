"""MU in Amaranth's simulator against golden.mu: bias, rounding, saturation, table lookup."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.fixed import FixedFormat
from golden.mu import mu, preactivation, preactivation_clips
from hw.mu import MultiFunctionUnit
from tests.hw.rtl import simulate

FORMATS = {
    "default": DEFAULT,
    "floor-q3.9-lut5": dataclasses.replace(
        DEFAULT, data_format=FixedFormat(12, 9, rounding="floor"),
        weight_format=FixedFormat(10, 8), lut_frac=5, lut_int=2),
}


def rtl_mu(cfg, kind, acc, bias, acc_h, bias_h):
    """One input per cycle; returns (y, y_h, sat) and the latency in cycles (constant)."""
    dut = MultiFunctionUnit(cfg, kind)
    y, y_h, sat, seen = [], [], [], []

    async def tb(ctx):
        for cycle in range(len(acc) + 2):
            ctx.set(dut.i.valid, cycle < len(acc))
            if cycle < len(acc):
                for port, value in (("acc", acc), ("bias", bias), ("acc_h", acc_h),
                                    ("bias_h", bias_h)):
                    ctx.set(getattr(dut.i.p, port), int(value[cycle]))
            await ctx.tick()
            if ctx.get(dut.o.valid):
                y.append(ctx.get(dut.o.p.y))
                y_h.append(ctx.get(dut.o.p.y_h))
                sat.append(ctx.get(dut.o.p.sat))
                seen.append(cycle + 1)

    simulate(dut, tb)
    return np.array(y), np.array(y_h), np.array(sat), np.array(seen) - np.arange(len(acc))


def inputs(cfg, count, rng):
    wf = cfg.weight_format
    lim = 1 << (cfg.acc_width - 2)
    acc = rng.integers(-lim, lim, count)
    acc[: count // 2] = rng.integers(-(1 << (cfg.acc_frac + 4)), 1 << (cfg.acc_frac + 4),
                                     count // 2)
    # exact ties of the rounding and the accumulator's extremes
    half = 1 << (cfg.acc_frac - cfg.data_format.frac - 1)
    acc[:8] = [half, -half, 3 * half, -3 * half, lim - 1, -lim, 0, -1]
    bias = rng.integers(wf.min_int, wf.max_int + 1, count)
    bias[:8] = 0
    bias[8:10] = [wf.min_int, wf.max_int]
    return acc, bias


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["sigmoid", "tanh", "pair"])
def test_mu_matches_golden(fmt, kind):
    cfg = FORMATS[fmt]
    seed = len(fmt) * 7 + len(kind)
    print("seed", seed)
    rng = np.random.default_rng(seed)
    acc, bias = inputs(cfg, 300, rng)
    acc_h, bias_h = inputs(cfg, 300, rng)
    y, y_h, sat, latency = rtl_mu(cfg, kind, acc, bias, acc_h, bias_h)
    clipped = preactivation_clips(acc, bias, cfg).astype(np.int64)
    if kind == "pair":
        np.testing.assert_array_equal(y, preactivation(acc, bias, cfg))
        np.testing.assert_array_equal(y_h, preactivation(acc_h, bias_h, cfg))
        clipped += preactivation_clips(acc_h, bias_h, cfg)
    else:
        np.testing.assert_array_equal(y, mu(acc, bias, kind, cfg))
    np.testing.assert_array_equal(sat, clipped)
    assert 0 < clipped.sum() < len(acc) * (1 + (kind == "pair"))
    assert set(latency) == {2}


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="MU kind must be one of"):
        MultiFunctionUnit(DEFAULT, "relu")
