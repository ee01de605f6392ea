"""Precision tracker (dynamic precision, issue 13): which precision each layer step runs at.

Built only when ``cfg.precision != "static"``; the model is golden/precision.py ``Tracker``.
Per layer it keeps one flag, the precision of the layer's next step. After each step of layer k
the flag says low iff every neuron's tracked state (the LSTM's c, the GRU's h) moved by at most
``theta``: ``max_j |s_t[j] - s_{t-1}[j]| <= theta`` (s before the sequence's first step is 0,
as the cell unit's state is after ``clear``).

Ports
    ``mode`` (in, run-time control ``precision_mode``): ``PRECISIONS.index`` of the run's
    precision: 0 static (every step high), 1 dynamic (the tracker decides), 2 low (every step
    low); 3 is taken as static. ``theta`` (in, control ``precision_theta``): the threshold, a
    data-format integer (``cfg.precision_theta_int``).
    ``start``, ``layer``, ``clear`` (in): the controller's; ``clear`` (a sequence start, with
    layer 0's ``start``) makes that step high and every layer's next step high.
    ``track`` (in, always ready): ``old``, ``new``: a neuron's tracked state before and after
    its cell update, once per neuron of the step (the cell unit's, hw/cell.py).
    ``done`` (in): the cell unit's end of the step (one cycle after the last ``track``).
    ``low`` (out): 1 when the current layer step runs at low precision: valid from the
    ``start`` cycle (combinational then) and held until the next ``start``.
Timing: ``track`` is registered, compared with ``theta`` the next cycle and ORed into the step's
``moved`` bit; at ``done`` the layer's flag becomes ``~moved``. The flag is read at the layer's
next ``start``, at least one cycle later: the tracker adds no cycle (golden/cycles.py).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from core.config import LOW_BITS, PRECISIONS
from hw.arith import index

MODE_BITS = 2
STATIC, DYNAMIC, LOW = (PRECISIONS.index(p) for p in ("static", "dynamic", "low"))


def low_word(value, shift: int):
    """``clip((value + 2**(shift-1)) >> shift, -128, 127)`` of a signed ``value``, LOW_BITS bits
    (signed): the quotient plus the rounding bit, then saturated by the bits above the low word
    (all equal: it fits; else the sign picks -128 or 127), cheaper than two comparisons."""
    total = (value >> shift) + value[shift - 1] if shift else value
    if len(total) <= LOW_BITS:
        return total.as_signed()
    above, sign = total[LOW_BITS - 1:], total[-1]
    fits = (above == 0) | (above == (1 << len(above)) - 1)
    return Mux(fits, total[:LOW_BITS], Cat((~sign).replicate(LOW_BITS - 1), sign)).as_signed()


def low_data_word(cfg, value):
    """golden/precision.py ``low_data`` of one data word: rounded half up by sv, saturated."""
    return low_word(value, cfg.low_data_shift)


def low_word_pairs(cfg, v):
    """The layer input vector ``v`` (``cfg.max_row_length`` data words) as a low step's dot
    path reads it: word ``cN + k`` (lane k of chunk c, as in a full step) holds the low data
    words of columns ``2cN + k`` (bits 0..7) and ``(2c+1)N + k`` (bits 8..15), zero above."""
    n, kmax, width = cfg.lanes, cfg.max_row_length, cfg.data_format.width

    def low(col):
        return low_data_word(cfg, v[col]) if col < kmax else Const(0, LOW_BITS)
    words = []
    for s in range(kmax):
        c, k = divmod(s, n)
        words.append(Cat(low(2 * c * n + k), low((2 * c + 1) * n + k),
                         Const(0, width - 2 * LOW_BITS)))
    return Cat(words)


def precision_controls(cfg) -> dict:
    """The run-time controls of a precision build (name -> shape; none for static builds)."""
    if cfg.precision == "static":
        return {}
    return {"precision_mode": unsigned(MODE_BITS),
            "precision_theta": unsigned(cfg.data_format.width)}


def control_values(cfg) -> dict:
    """The values of :func:`precision_controls` that run ``cfg`` (its precision and threshold)."""
    return {"precision_mode": PRECISIONS.index(cfg.precision),
            "precision_theta": cfg.precision_theta_int}


def track_layout(cfg):
    dshape = signed(cfg.data_format.width)
    return data.StructLayout({"old": dshape, "new": dshape})


class PrecisionTracker(wiring.Component):
    def __init__(self, cfg):
        self.cfg = cfg
        super().__init__({
            "mode": In(MODE_BITS), "theta": In(unsigned(cfg.data_format.width)),
            "start": In(1), "layer": In(index(cfg.layers)), "clear": In(1),
            "track": In(stream.Signature(track_layout(cfg), always_ready=True)),
            "done": In(1),
            "low": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        next_low = Signal(cfg.layers)          # per layer: its next step runs low
        held = Signal()
        decision = Mux(self.mode == LOW, 1,
                       Mux(self.mode == DYNAMIC, next_low.bit_select(self.layer, 1) & ~self.clear,
                           0))
        with m.If(self.start):
            m.d.sync += held.eq(decision)
        m.d.comb += self.low.eq(Mux(self.start, decision, held))

        # |new - old| > theta, registered difference first (off the cell unit's rounding)
        diff = Signal(signed(cfg.data_format.width + 1))
        diff_valid, moved = Signal(), Signal()
        m.d.sync += [diff_valid.eq(self.track.valid),
                     diff.eq(self.track.p.new - self.track.p.old)]
        exceeds = diff_valid & ((diff > self.theta) | (diff < -self.theta))
        with m.If(self.clear):
            m.d.sync += [next_low.eq(0), moved.eq(0)]
        with m.Elif(self.done):
            m.d.sync += [next_low.bit_select(self.layer, 1).eq(~(moved | exceeds)), moved.eq(0)]
        with m.Elif(exceeds):
            m.d.sync += moved.eq(1)
        return m
