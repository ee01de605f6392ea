"""Fixed-point arithmetic as Amaranth expressions: the hardware form of ``golden/fixed.py``.

Every narrowing in the datapath goes through :func:`requantize` (shift right with the format's
rounding, then saturate), the same two steps as ``FixedFormat.requantize``, so the RTL and the
golden model agree bit for bit. Widths grow as Amaranth's arithmetic rules say; nothing wraps.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Mux


def saturate(value, fmt):
    """Clamp ``value`` to the integer range of ``fmt``."""
    return Mux(value > fmt.max_int, fmt.max_int, Mux(value < fmt.min_int, fmt.min_int, value))


def shift_round(value, shift: int, rounding: str):
    """Arithmetic right shift by ``shift`` with ``rounding`` (left shift when ``shift`` < 0)."""
    if shift <= 0:
        return value << -shift
    if rounding == "half_up":
        value = value + (1 << (shift - 1))
    return value >> shift


def requantize(value, fmt, from_frac: int):
    """Integers with ``from_frac`` fraction bits -> ``fmt`` (round, then saturate)."""
    return saturate(shift_round(value, from_frac - fmt.frac, fmt.rounding), fmt)


def out_of_range(value, fmt):
    """1 where :func:`saturate` clips ``value`` (the same two comparisons, shared by synthesis)."""
    return (value > fmt.max_int) | (value < fmt.min_int)


def clips(value, fmt, from_frac: int):
    """1 where :func:`requantize` saturates (``FixedFormat.clips``)."""
    return out_of_range(shift_round(value, from_frac - fmt.frac, fmt.rounding), fmt)


def lut_address(pre, cfg):
    """Activation-table address of a data-format pre-activation (core.activation.lut_index)."""
    half = 1 << (cfg.lut_int + cfg.lut_frac)
    s = pre >> (cfg.data_format.frac - cfg.lut_frac)
    s = Mux(s > half - 1, half - 1, Mux(s < -half, -half, s))
    return s.as_unsigned()[:cfg.lut_int + cfg.lut_frac + 1]


def tree_sum(values):
    """Balanced adder tree (one combinational level per pairing); widths grow by one per level."""
    values = list(values)
    if not values:
        return 0
    while len(values) > 1:
        pairs = [values[i] + values[i + 1] for i in range(0, len(values) - 1, 2)]
        values = pairs + ([values[-1]] if len(values) % 2 else [])
    return values[0]


def mul_const(value, factor: int):
    """``value * factor`` for a constant ``factor`` >= 1, as a sum of shifted copies of ``value``.

    FPGA flows map every ``*`` to a DSP block, even by a constant; an address such as
    ``row * Kd`` costs a few adders instead of one of the multipliers the datapath needs."""
    if factor < 1:
        raise ValueError(f"factor must be >= 1, not {factor}")
    return tree_sum(value << s for s in range(factor.bit_length()) if factor >> s & 1)


def divmod_const(value, divisor: int):
    """``(value // divisor, value % divisor)`` for an unsigned value and a constant divisor."""
    if divisor & (divisor - 1) == 0:
        shift = divisor.bit_length() - 1
        return value >> shift, value[:shift] if shift else 0
    return value // divisor, value % divisor


def by_layer(layer, values):
    """A per-layer constant (or expression) selected by the ``layer`` signal."""
    values = list(values)
    return values[0] if len(values) == 1 else Array(values)[layer]


def index(n: int) -> range:
    """Shape of an index into n things (at least one bit wide, so no port has zero width)."""
    return range(max(n, 2))


def split_mul(a, b, low, half: int = 8):
    """A signed ``2h x 2h`` multiplier (h = ``half``) that computes two signed ``h x h``
    products when ``low``: its four partial-product blocks, with the two that pair the high
    halves and the low halves gated off in low mode. Returns ``(first, second)``:

    - full (``low`` = 0): ``first + second == a * b`` (a, b: signed 2h-bit);
    - low: ``first == (a_hi * b_lo) << h`` and ``second == (a_lo * b_hi) << h``, every half a
      signed h-bit word (a = Cat(a_lo, a_hi), b = Cat(b_lo, b_hi)).

    So two low products use the array of one full product: the low halves count as unsigned in
    full mode and as signed in low mode (a ninth bit, their sign AND ``low``). The blocks' sum
    is one multi-operand addition (Yosys's ``alumacc`` merges it), with no mode multiplexer.
    """
    a_lo, a_hi = a[:half], a[half:2 * half].as_signed()
    b_lo, b_hi = b[:half], b[half:2 * half].as_signed()
    a_lo_s = Cat(a_lo, a_lo[-1] & low).as_signed()
    b_lo_s = Cat(b_lo, b_lo[-1] & low).as_signed()
    first = (a_hi * b_lo_s) << half
    second = ((Mux(low, 0, a_hi) * b_hi) << 2 * half) + ((a_lo_s * b_hi) << half) \
        + Mux(low, 0, a_lo) * b_lo
    return first, second
