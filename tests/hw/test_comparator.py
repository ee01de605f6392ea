"""Comparator in Amaranth's simulator against golden.comparator.reuse (both modes, cap)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from golden.comparator import reuse
from hw.comparator import Comparator
from tests.hw.rtl import simulate


def rtl_reuse(cfg, yb, yb_m, valid, count, theta_int, mode_abs):
    """One decision per entry: the entry (yb_m, count) is held one cycle, then yb and valid
    are presented; the next entry is held in that same cycle, as the CU does with B >= X + H."""
    dut = Comparator(cfg)
    out = []

    async def tb(ctx):
        ctx.set(dut.theta, theta_int)
        ctx.set(dut.mode_abs, mode_abs)
        ctx.set(dut.hold, 1)
        for k in range(len(yb) + 1):
            if k < len(yb):
                ctx.set(dut.yb_m, int(yb_m[k]))
                ctx.set(dut.reuse_count, int(count[k]))
            else:
                ctx.set(dut.hold, 0)
            if k:
                ctx.set(dut.yb, int(yb[k - 1]))
                ctx.set(dut.valid, int(valid[k - 1]))
                out.append(ctx.get(dut.reuse))
                assert ctx.get(dut.held_yb_m) == yb_m[k - 1]
            await ctx.tick()
        # held while hold is low
        ctx.set(dut.yb_m, 0)
        await ctx.tick()
        assert ctx.get(dut.held_yb_m) == yb_m[-1]

    simulate(dut, tb)
    return np.array(out, dtype=bool)


@pytest.mark.parametrize("mode", ["relative", "absolute"])
@pytest.mark.parametrize("theta", [0.0, 0.125, 0.5, 3.0, "max"])
@pytest.mark.parametrize("cap", [0, 3])
def test_comparator_matches_golden(mode, theta, cap):
    if theta == "max":
        theta = DEFAULT.theta_format.max_value
    cfg = dataclasses.replace(DEFAULT, reuse_cap=cap, input_size=12, hidden_size=20, theta=theta,
                              mode=mode)
    assert cfg.theta_int == round(theta * (1 << cfg.theta_format.frac))
    seed = int(theta * 8) + 3 * cap + (mode == "absolute")
    print("seed", seed)
    rng = np.random.default_rng(seed)
    k = cfg.max_row_length
    count = 600
    yb = rng.integers(-k, k + 1, count)
    yb_m = np.where(rng.random(count) < 0.5, yb + rng.integers(-4, 5, count),
                    rng.integers(-k, k + 1, count)).clip(-k, k)
    yb[:6], yb_m[:6] = [k, -k, 0, 0, k, -k], [-k, k, 0, 1, k, 0]
    valid = rng.random(count) < 0.9
    counts = rng.integers(0, max(cap, 1) + 1, count)
    got = rtl_reuse(cfg, yb, yb_m, valid, counts, cfg.theta_int, int(mode == "absolute"))
    want = reuse(yb, yb_m, valid, counts, cfg.theta_int, cfg.theta_format.frac, mode, cap)
    np.testing.assert_array_equal(got, want)
    assert 0 < want.sum() < count or theta == 0
    # the theta port, not the build's theta, decides: another register value, other decisions
    # (a comparator that read cfg.theta_int or a constant instead of its port fails here)
    fmt = cfg.theta_format
    other = fmt.max_int if cfg.theta_int < fmt.max_int // 2 else 0
    got = rtl_reuse(cfg, yb, yb_m, valid, counts, other, int(mode == "absolute"))
    want_other = reuse(yb, yb_m, valid, counts, other, fmt.frac, mode, cap)
    np.testing.assert_array_equal(got, want_other)
    assert (want_other != want).any()
