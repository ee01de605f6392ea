"""hw.arith helpers in Amaranth's simulator against Python integer arithmetic."""

from __future__ import annotations

import pytest
from amaranth.hdl import Module, Signal

from hw.arith import mul_const
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
