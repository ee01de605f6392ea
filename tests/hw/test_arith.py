"""hw.arith helpers in Amaranth's simulator against Python integer arithmetic."""

from __future__ import annotations

import os
import random

import pytest
from amaranth.hdl import Module, Signal, signed

from hw.arith import mul_const, split_mul
from tests.hw.rtl import simulate


@pytest.mark.parametrize("factor", [1, 2, 3, 7, 10, 12, 19, 64, 76])
def test_mul_const_is_the_product(factor):
    value = Signal(7)
    product = Signal(16)
    m = Module()
    m.d.comb += product.eq(mul_const(value, factor))
    seen = []

    async def tb(ctx):
        for v in range(1 << 7):
            ctx.set(value, v)
            seen.append(ctx.get(product))

    simulate(m, tb, clock=False)
    assert seen == [v * factor for v in range(1 << 7)]


def test_mul_const_refuses_a_factor_below_one():
    with pytest.raises(ValueError, match="factor must be >= 1, not 0"):
        mul_const(Signal(4), 0)


def _split_mul_bench(count: int):
    """``count`` split multipliers side by side (a, b signed 16-bit, one mode)."""
    a = [Signal(signed(16), name=f"a{k}") for k in range(count)]
    b = [Signal(signed(16), name=f"b{k}") for k in range(count)]
    low = Signal()
    first = [Signal(signed(40), name=f"first{k}") for k in range(count)]
    second = [Signal(signed(40), name=f"second{k}") for k in range(count)]
    m = Module()
    for k in range(count):
        f, s = split_mul(a[k], b[k], low)
        m.d.comb += [first[k].eq(f), second[k].eq(s)]
    return m, a, b, low, first, second


def _word(lo: int, hi: int) -> int:
    """The signed 16-bit word of two signed bytes (``lo`` in bits 0..7)."""
    u = (lo & 0xFF) | (hi & 0xFF) << 8
    return u - (1 << 16) if u >> 15 else u


def test_split_mul_low_mode():
    """Signed 8-bit operands in both positions: first = a_hi * b_lo and second = a_lo * b_hi,
    each shifted left by 8. Every y of -128..127 against the edge values of x and 16 random ones
    (a few seconds); ``EPUR_EXHAUSTIVE=1``: every x too, every pair (3 to 5 minutes)."""
    count = 256
    m, a, b, low, first, second = _split_mul_bench(count)
    bytes_ = range(-128, 128)
    xs = list(bytes_)
    if os.environ.get("EPUR_EXHAUSTIVE") != "1":
        rng = random.Random(8)
        xs = [-128, -127, -2, -1, 0, 1, 2, 126, 127] + rng.sample(range(-128, 128), 16)
    bad = []

    async def tb(ctx):
        ctx.set(low, 1)
        for x in xs:
            for k, y in enumerate(bytes_):
                # a = (a_lo = y, a_hi = x), b = (b_lo = y, b_hi = x): x*y twice, and y*x
                ctx.set(a[k], _word(y, x))
                ctx.set(b[k], _word(x if k % 2 else y, x if k % 2 == 0 else y))
            for k, y in enumerate(bytes_):
                b_lo, b_hi = (x, y) if k % 2 else (y, x)
                want = ((x * b_lo) << 8, (y * b_hi) << 8)
                got = (ctx.get(first[k]), ctx.get(second[k]))
                if got != want:
                    bad.append((x, y, k, got, want))

    simulate(m, tb, clock=False)
    assert not bad, bad[:5]


def test_split_mul_full_mode_is_the_product():
    """Full mode: first + second is the signed 16x16 product (random and extreme operands)."""
    seed = 17
    print("seed", seed)
    rng = random.Random(seed)
    count = 64
    m, a, b, low, first, second = _split_mul_bench(count)
    edges = [-(1 << 15), (1 << 15) - 1, -1, 0, 1, 255, 256, -256, 127, -128, 128, -129]
    cases = [(x, y) for x in edges for y in edges]
    cases += [(rng.randrange(-(1 << 15), 1 << 15), rng.randrange(-(1 << 15), 1 << 15))
              for _ in range(20 * count - len(cases) % count)]
    bad = []

    async def tb(ctx):
        ctx.set(low, 0)
        for start in range(0, len(cases), count):
            block = cases[start:start + count]
            for k, (x, y) in enumerate(block):
                ctx.set(a[k], x)
                ctx.set(b[k], y)
            for k, (x, y) in enumerate(block):
                got = ctx.get(first[k]) + ctx.get(second[k])
                if got != x * y:
                    bad.append((x, y, got))

    simulate(m, tb, clock=False)
    assert not bad, bad[:5]
