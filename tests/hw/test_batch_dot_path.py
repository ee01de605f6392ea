"""Batched dot-product path in Amaranth's simulator: every (neuron, slot) output against
golden.mu(golden.dpu.dot) on that slot's input (golden.mu.preactivation for the GRU ``n``
pair), chunks issued chunk-major and slot-minor as hw/batch_sequencer.py issues them, the weight
word read once a round and held, and the latency LAT_MU from each slot's last chunk."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.layout import WEIGHT
from core.timing import LAT_MU
from golden.dpu import dot
from golden.mu import mu, preactivation
from hw.batch_dot_path import BatchDotPath
from hw.weight_store import WeightStore
from tests.hw.rtl import put, simulate

CFG = dataclasses.replace(DEFAULT, input_size=5, hidden_size=6, layers=2, lanes=4,
                          predictor="none")


def issue_order(cfg, layer, masks, gaps):
    """(neuron, chunk, slot, read) per cycle (None: idle), neuron j computed by the slots of
    ``masks[j]`` after ``gaps[j]`` idle cycles."""
    kd = cfg.dpu_cycles(layer)
    out = []
    for j, mask in enumerate(masks):
        out += [None] * gaps[j]
        users = [s for s in range(cfg.slots) if mask >> s & 1]
        out += [(j, c, s, k == 0) for c in range(kd) for k, s in enumerate(users)]
    return out + [None] * (LAT_MU + 2)


def rtl_batch_dot_path(cfg, kind, layer, w, b, b_h, v, masks, gaps):
    dut = BatchDotPath(cfg, kind)
    n, kd, kmax = cfg.lanes, cfg.dpu_cycles(layer), cfg.max_row_length
    padded = np.zeros((cfg.hidden_size, kd * n), dtype=np.int64)
    padded[:, :w.shape[1]] = w
    order = issue_order(cfg, layer, masks, gaps)
    out, last_at = {}, {}

    async def tb(ctx):
        for s in range(cfg.slots):
            for k in range(kmax):
                ctx.set(dut.v[s * kmax + k], int(v[s, k]) if k < v.shape[1] else 0)
        ctx.set(dut.layer, layer)
        held, bias_addr = np.zeros(n, dtype=np.int64), 0
        for cycle, item in enumerate(order):
            for k in range(n):                   # the read port's output register
                ctx.set(dut.w[k], int(held[k]))
            ctx.set(dut.bias, int(b[bias_addr]))
            ctx.set(dut.bias_h, int(b_h[bias_addr]))
            ctx.set(dut.i.valid, item is not None)
            if item is not None:
                j, c, s, read = item
                for name, value in (("neuron", j), ("chunk", c), ("slot", s), ("read", read),
                                    ("first", c == 0), ("last", c == kd - 1)):
                    ctx.set(getattr(dut.i.p, name), value)
                if c == kd - 1:
                    last_at[j, s] = cycle
                if read:                           # else the port holds its word
                    held = padded[j, c * n:(c + 1) * n]
            if ctx.get(dut.o.valid):
                key = (ctx.get(dut.o.p.neuron), ctx.get(dut.o.p.slot))
                out[key] = (ctx.get(dut.o.p.y), ctx.get(dut.o.p.y_h), cycle)
            bias_addr = ctx.get(dut.bias_addr)
            await ctx.tick()

    simulate(dut, tb)
    return out, last_at


@pytest.mark.parametrize("kind", ["sigmoid", "tanh", "pair"])
@pytest.mark.parametrize("slots, layer", [(1, 0), (3, 1), (8, 0)])
def test_every_slot_gets_its_own_output(kind, slots, layer):
    cfg = dataclasses.replace(CFG, slots=slots, cell="gru" if kind == "pair" else "lstm")
    seed = 5 * slots + layer + len(kind)
    print("seed", seed)
    rng = np.random.default_rng(seed)
    wf, df = cfg.weight_format, cfg.data_format
    k, xl = cfg.row_length(layer), cfg.layer_input_size(layer)
    w = rng.integers(wf.min_int, wf.max_int + 1, (cfg.hidden_size, k)) // 8
    w[0], w[1] = wf.max_int, wf.min_int
    b, b_h = (rng.integers(wf.min_int, wf.max_int + 1, cfg.layers * cfg.hidden_size)
              for _ in range(2))
    v = rng.integers(df.min_int, df.max_int + 1, (slots, k))
    v[0, :2] = [df.min_int, df.max_int]
    masks = [int(x) for x in rng.integers(1, 1 << slots, cfg.hidden_size)]
    gaps = [int(g) for g in rng.integers(0, 3, cfg.hidden_size)]
    out, last_at = rtl_batch_dot_path(cfg, kind, layer, w, b, b_h, v, masks, gaps)
    rows = slice(layer * cfg.hidden_size, (layer + 1) * cfg.hidden_size)
    expected = set()
    for s in range(slots):
        if kind == "pair":
            want = preactivation(dot(w[:, :xl], v[s, :xl]), b[rows], cfg)
            want_h = preactivation(dot(w[:, xl:], v[s, xl:]), b_h[rows], cfg)
        else:
            want, want_h = mu(dot(w, v[s]), b[rows], kind, cfg), None
        for j in range(cfg.hidden_size):
            if masks[j] >> s & 1:
                expected.add((j, s))
                y, y_h, cycle = out[j, s]
                assert y == want[j], (j, s)
                if want_h is not None:
                    assert y_h == want_h[j], (j, s)
                assert cycle == last_at[j, s] + LAT_MU
    assert set(out) == expected


def test_weight_store_holds_its_word_between_reads():
    """A batched build's weight store reads ``row_addr`` only with ``read_en``: its output keeps
    the last word read (hw/weight_store.py), which the batched dot path uses for a round."""
    cfg = dataclasses.replace(CFG, slots=3)
    dut = WeightStore(cfg)
    rng = np.random.default_rng(4)
    words = {}

    async def tb(ctx):
        for row in range(cfg.hidden_size):
            for col in range(cfg.row_length(0)):
                value = int(rng.integers(-500, 500))
                words[row, col] = value
                await put(ctx, dut.load, kind=WEIGHT, layer=0, row=row, col=col, data=value)
        kd = cfg.dpu_cycles(0)
        seen = []
        for addr, en in ((0, 1), (kd, 0), (2 * kd, 0), (kd, 1), (0, 0)):
            ctx.set(dut.row_addr, addr)
            ctx.set(dut.read_en, en)
            await ctx.tick()
            seen.append(int(ctx.get(dut.w[0])))
        # reads of row 0 and row 1 (chunk 0), each held while read_en is 0
        assert seen == [words[0, 0]] * 3 + [words[1, 0]] * 2

    simulate(dut, tb)
