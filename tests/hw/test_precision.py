"""The dynamic-precision blocks in Amaranth's simulator against golden/precision.py: the DPU's
low mode (2N 8x8 products a cycle, shifted to the full scale), the weight store's two memories
of 2N-weight words (full chunks and low weights read back), and the tracker's decisions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from amaranth.hdl import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from core.config import DEFAULT
from core.layout import WEIGHT
from golden.dpu import dot
from golden.precision import Tracker, low_data, low_scale, low_weights
from hw.dpu import DotProductUnit
from hw.precision import PrecisionTracker, control_values, low_word, low_word_pairs
from hw.rows import row_layout
from hw.weight_store import WeightStore
from tests.hw.rtl import put, simulate, unpack


def precision_cfg(**kw):
    return dataclasses.replace(DEFAULT, precision="dynamic", **kw)


def rtl_dot_modes(cfg, w, v, low, split=False, xlen=0, seed=0):
    """Row r on the DPU in low mode where ``low[r]`` (2N columns a chunk, the low words of
    golden/precision.py) else in full mode (N columns a chunk); rows back to back with random
    idle cycles. Returns (acc, acc_h, latency after the last chunk)."""
    rng = np.random.default_rng(seed)
    dut = DotProductUnit(cfg, split)
    n = cfg.lanes
    rows, k = w.shape
    width = 2 * n * -(-k // (2 * n))
    wp, vp = np.zeros((rows, width), np.int64), np.zeros((rows, width), np.int64)
    wp[:, :k], vp[:, :k] = w, v
    wl, vl = low_weights(cfg, wp), low_data(cfg, vp)
    schedule = []
    for r in range(rows):
        size = 2 * n if low[r] else n
        chunks = -(-k // size)
        for c in range(chunks):
            while rng.random() < 0.2:
                schedule.append(None)
            schedule.append((r, c, chunks))
    out, last_at, out_at = [], [], []

    async def tb(ctx):
        for cycle, item in enumerate(schedule + [None] * 3):
            ctx.set(dut.i.valid, item is not None)
            if item is not None:
                r, c, chunks = item
                size = 2 * n if low[r] else n
                for lane in range(n):
                    ctx.set(dut.i.p.w[lane], int(wp[r, c * size + lane]))
                    if low[r]:      # two low data words a lane: columns k and N + k
                        pair = (int(vl[r, c * size + lane]) & 0xFF
                                | (int(vl[r, c * size + n + lane]) & 0xFF) << 8)
                        ctx.set(dut.i.p.v[lane], pair - (pair >> 15 << 16))
                    else:
                        ctx.set(dut.i.p.v[lane], int(vp[r, c * size + lane]))
                for lane in range(2 * n):
                    col = min(c * 2 * n + lane, width - 1)
                    ctx.set(dut.i.p.w_low[lane], int(wl[r, col]) if low[r] else 0)
                ctx.set(dut.i.p.low, bool(low[r]))
                ctx.set(dut.i.p.first, c == 0)
                ctx.set(dut.i.p.last, c == chunks - 1)
                ctx.set(dut.i.p.xmask, sum(1 << lane for lane in range(n)
                                           if c * size + lane < xlen))
                ctx.set(dut.i.p.xmask_low, sum(1 << lane for lane in range(n)
                                               if c * size + n + lane < xlen))
                if c == chunks - 1:
                    last_at.append(cycle)
            await ctx.tick()
            if ctx.get(dut.o.valid):
                out.append((ctx.get(dut.o.p.acc), ctx.get(dut.o.p.acc_h)))
                out_at.append(cycle + 1)

    simulate(dut, tb)
    out = np.array(out, dtype=np.int64).reshape(-1, 2)
    return out[:, 0], out[:, 1], np.array(out_at) - np.array(last_at)


def low_dot(cfg, w, v):
    return dot(low_weights(cfg, w), low_data(cfg, v)) << low_scale(cfg)


@pytest.mark.parametrize("lanes", [1, 3, 4])
@pytest.mark.parametrize("split", [False, True])
def test_dpu_low_mode_matches_golden(lanes, split):
    seed = 100 + 10 * lanes + split
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cfg = precision_cfg(input_size=7, hidden_size=10, lanes=lanes)
    k, xlen = cfg.row_length(0), cfg.input_size
    wf, df = cfg.weight_format, cfg.data_format
    w = rng.integers(wf.min_int, wf.max_int + 1, (10, k))
    v = rng.integers(df.min_int, df.max_int + 1, (10, k))
    w[0], v[0] = wf.min_int, df.min_int          # the largest low sum (both words -128)
    w[1], v[1] = wf.max_int, df.max_int          # both round up past 127: saturated
    w[2], v[2] = wf.max_int, df.min_int
    low = np.array([1, 1, 1, 0, 1, 0, 0, 1, 1, 0], dtype=bool)
    acc, acc_h, latency = rtl_dot_modes(cfg, w, v, low, split, xlen if split else 0, seed)
    if split:
        want_x = np.where(low, low_dot(cfg, w[:, :xlen], v[:, :xlen]),
                          dot(w[:, :xlen], v[:, :xlen]))
        want_h = np.where(low, low_dot(cfg, w[:, xlen:], v[:, xlen:]),
                          dot(w[:, xlen:], v[:, xlen:]))
        np.testing.assert_array_equal(acc, want_x)
        np.testing.assert_array_equal(acc_h, want_h)
    else:
        np.testing.assert_array_equal(acc, np.where(low, low_dot(cfg, w, v), dot(w, v)))
    assert acc[0] == k * (128 * 128 << low_scale(cfg)) or split
    assert list(latency) == [2] * len(w)


def pair_words(cfg, w):
    """The weights w[l] (H, columns) as the precision store's words: (depth, 2N), 0-padded."""
    base, depth = row_layout(cfg, cfg.low_dpu_cycles)
    words = np.zeros((depth, 2 * cfg.lanes), dtype=np.int64)
    for layer in range(cfg.layers):
        kl, k = cfg.low_dpu_cycles(layer), cfg.row_length(layer)
        for row in range(cfg.hidden_size):
            want = np.zeros(kl * 2 * cfg.lanes, dtype=np.int64)
            want[:k] = w[layer][row][:k]
            start = base[layer] + row * kl
            words[start:start + kl] = want.reshape(kl, -1)
    return words


def rtl_pairs(cfg, w, seed=0, signs_apart=False):
    """Load the weights w[l] (H, columns) into a precision build's store in a random order,
    then read every word with half 0 and 1: (full words (depth, 2, N), low words (depth, 2N),
    read with half 0). ``signs_apart``: the store keeps no sign bit and ``w_signs`` gives them,
    as the BNN's port does: the 2N of the word with half 0, the upper N in the lower bits with
    half 1."""
    rng = np.random.default_rng(seed)
    dut = WeightStore(cfg, signs_apart=signs_apart)
    depth = row_layout(cfg, cfg.low_dpu_cycles)[1]
    n = cfg.lanes
    signs = pair_words(cfg, w) < 0
    loads = [(layer, row, col, int(value)) for layer in range(cfg.layers)
             for row in range(cfg.hidden_size) for col, value in enumerate(w[layer][row])]
    loads = [loads[k] for k in rng.permutation(len(loads))]
    full = np.zeros((depth, 2, n), dtype=np.int64)
    lows = np.zeros((depth, 2 * n), dtype=np.int64)

    async def tb(ctx):
        for layer, row, col, value in loads:
            await put(ctx, dut.load, kind=WEIGHT, layer=layer, row=row, col=col, data=value)
        for addr in range(depth):
            for half in (0, 1):
                ctx.set(dut.row_addr, addr)
                ctx.set(dut.half, half)
                await ctx.tick()
                ctx.set(dut.half, 1 - half)     # registered with the address
                if signs_apart:
                    bits = signs[addr] if half == 0 else list(signs[addr][n:]) + [1] * n
                    ctx.set(dut.w_signs, sum(int(b) << k for k, b in enumerate(bits)))
                full[addr, half] = unpack(ctx.get(dut.w.as_value()), cfg.weight_format.width, n)
                if half == 0:
                    lows[addr] = unpack(ctx.get(dut.w_low.as_value()), 8, 2 * n)

    simulate(dut, tb)
    return full, lows


@pytest.mark.parametrize("signs_apart", [False, True])
@pytest.mark.parametrize("lanes", [1, 3, 4])
def test_weight_store_pairs(lanes, signs_apart):
    cfg = precision_cfg(input_size=5, hidden_size=3, layers=2, lanes=lanes)
    seed = 200 + lanes
    print("seed", seed)
    rng = np.random.default_rng(seed)
    wf = cfg.weight_format
    cols = cfg.max_row_length          # layer 1 (X_1 + H = 6) ignores its columns 6, 7
    w = [rng.integers(wf.min_int, wf.max_int + 1, (cfg.hidden_size, cols))
         for _ in range(cfg.layers)]
    w[0][0, :4] = [wf.max_int, wf.min_int, 127 << 8 | 0x80, -(1 << 7)]   # rounding edges
    full, lows = rtl_pairs(cfg, w, seed, signs_apart)
    want = pair_words(cfg, w)
    np.testing.assert_array_equal(full.reshape(len(want), -1), want)
    np.testing.assert_array_equal(lows, low_weights(cfg, want))


def rtl_tracker(cfg, steps, seed=0):
    """Drive the tracker with ``steps``: (layer, clear, old (H,), new (H,)) per layer step, the
    cell unit's order and timing (one neuron a cycle, ``done`` one cycle after the last,
    the next ``start`` a random 1..3 cycles later). Returns each step's ``low``."""
    rng = np.random.default_rng(seed)
    dut = PrecisionTracker(cfg)
    lows = []

    async def tb(ctx):
        values = control_values(cfg)
        ctx.set(dut.mode, values["precision_mode"])
        ctx.set(dut.theta, values["precision_theta"])
        for layer, clear, old, new in steps:
            ctx.set(dut.layer, layer)
            ctx.set(dut.start, 1)
            ctx.set(dut.clear, clear)
            lows.append(ctx.get(dut.low))
            await ctx.tick()
            ctx.set(dut.start, 0)
            ctx.set(dut.clear, 0)
            for j in range(len(new)):
                assert ctx.get(dut.low) == lows[-1], "low is held during the step"
                ctx.set(dut.track.valid, 1)
                ctx.set(dut.track.p.old, int(old[j]))
                ctx.set(dut.track.p.new, int(new[j]))
                await ctx.tick()
                ctx.set(dut.track.valid, 0)
                if rng.random() < 0.3:
                    await ctx.tick()
            ctx.set(dut.done, 1)
            await ctx.tick()
            ctx.set(dut.done, 0)
            await ctx.tick().repeat(int(rng.integers(1, 4)))

    simulate(dut, tb)
    return np.array(lows, dtype=bool)


@pytest.mark.parametrize("mode", ["dynamic", "low", "static"])
def test_tracker_matches_golden(mode):
    seed = sum(map(ord, mode))
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cfg = dataclasses.replace(DEFAULT, hidden_size=5, layers=2, precision=mode,
                              precision_theta=0.0625)
    theta = cfg.precision_theta_int
    batch, steps_per_seq, hidden = 3, 6, cfg.hidden_size
    # states that move by about theta: some steps stay within it, some do not
    moves = rng.integers(-theta - 3, theta + 4, (batch, steps_per_seq, cfg.layers, hidden))
    moves[0, 2, 1, :] = theta                   # exactly theta: stable
    moves[0, 3, 1, 0] = -theta - 1              # one neuron beyond: not stable
    moves[1, :, 0, :] //= 4                     # a stable run
    moves[1, 0, 0, :] = 0                       # s_{-1} = 0: a first step can be stable
    states = np.cumsum(moves, axis=1)
    steps, want = [], []
    for b in range(batch):
        trackers = [Tracker.fresh(cfg, 1) for _ in range(cfg.layers)]
        old = np.zeros((cfg.layers, hidden), dtype=np.int64)
        for t in range(steps_per_seq):
            for k in range(cfg.layers):
                want.append(bool(trackers[k].precision()[0]))
                steps.append((k, int(t == 0 and k == 0), old[k].copy(), states[b, t, k]))
                trackers[k].update(states[b, t, k][None], np.array([True]))
                old[k] = states[b, t, k]
    got = rtl_tracker(cfg, steps, seed)
    np.testing.assert_array_equal(got, want)
    if mode == "dynamic":
        assert 0 < np.sum(want) < len(want), "the case must mix high and low steps"


class _Pairs(wiring.Component):
    """``hw.precision.low_word_pairs`` alone, between ports."""

    def __init__(self, cfg):
        self.cfg = cfg
        vec = data.ArrayLayout(signed(cfg.data_format.width), cfg.max_row_length)
        super().__init__({"v": In(vec), "words": Out(vec)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.words.eq(low_word_pairs(self.cfg, self.v))
        return m


@pytest.mark.parametrize("lanes", [1, 3, 8])
def test_low_word_pairs_match_golden(lanes):
    """Word cN + k holds the low data words of columns 2cN + k and (2c+1)N + k (0 past the
    row): the packing the dot path's full-mode selection reads in a low step."""
    seed = 300 + lanes
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cfg = precision_cfg(input_size=7, hidden_size=10, lanes=lanes)
    df, kmax, n = cfg.data_format, cfg.max_row_length, lanes
    vectors = [rng.integers(df.min_int, df.max_int + 1, kmax) for _ in range(20)]
    vectors += [np.full(kmax, df.min_int), np.full(kmax, df.max_int), np.arange(kmax) - 8]
    dut = _Pairs(cfg)
    got = []

    async def tb(ctx):
        for v in vectors:
            for k, value in enumerate(v):
                ctx.set(dut.v[k], int(value))
            got.append(unpack(ctx.get(dut.words.as_value()), df.width, kmax, signed=False))

    simulate(dut, tb, clock=False)
    for v, words in zip(vectors, got, strict=True):
        padded = np.zeros(2 * kmax + 2 * n, dtype=np.int64)
        padded[:kmax] = low_data(cfg, v)
        for s in range(kmax):
            c, k = divmod(s, n)
            want = [int(padded[2 * c * n + k]) & 0xFF, int(padded[(2 * c + 1) * n + k]) & 0xFF]
            assert [int(words[s]) & 0xFF, int(words[s]) >> 8 & 0xFF] == want, (s, v)
            assert int(words[s]) >> 16 == 0


class _LowWords(wiring.Component):
    """``hw.precision.low_word`` on ``count`` values at once."""

    def __init__(self, width, shift, count):
        self.shift = shift
        super().__init__({"value": In(data.ArrayLayout(signed(width), count)),
                          "low": Out(data.ArrayLayout(signed(8), count))})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += [self.low[k].eq(low_word(self.value[k], self.shift))
                     for k in range(len(self.low))]
        return m


@pytest.mark.parametrize(("width", "shift"), [(16, 5), (16, 0), (9, 1), (16, 9), (12, 4)])
def test_low_word_exhaustive(width, shift):
    """clip((value + 2**(shift-1)) >> shift, -128, 127): every ``width``-bit value up to 12
    bits; wider, every 29th and all of the windows around 0 and the saturation edges."""
    count = 256
    lo, hi = -(1 << (width - 1)), 1 << (width - 1)
    values = np.arange(lo, hi)
    if width > 12:
        edges = [0, lo, hi - 1] + [(e << shift) for e in (-129, -128, 127, 128)]
        values = np.unique(np.concatenate([values[::29]] + [
            np.arange(e - 300, e + 300) for e in edges]).clip(lo, hi - 1))
    want = np.clip((values + ((1 << shift) >> 1)) >> shift, -128, 127)
    dut = _LowWords(width, shift, count)
    got = []

    async def tb(ctx):
        for start in range(0, len(values), count):
            block = values[start:start + count]
            for k, value in enumerate(block):
                ctx.set(dut.value[k], int(value))
            got.extend(unpack(ctx.get(dut.low.as_value()), 8, count)[:len(block)])

    simulate(dut, tb, clock=False)
    np.testing.assert_array_equal(np.array(got), want)
