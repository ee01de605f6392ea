"""Dot-product path in Amaranth's simulator: each neuron's output against golden.mu(golden.dpu.dot)
(and golden.mu.preactivation for the GRU ``n`` pair), with bubbles between neurons, and its
latency (core.timing.LAT_MU cycles from the last chunk to the output)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.timing import LAT_MU
from golden.dpu import dot
from golden.mu import mu, preactivation
from hw import dot_path
from hw.dot_path import DotPath
from tests.hw.rtl import simulate

CFG = dataclasses.replace(DEFAULT, input_size=5, hidden_size=6, layers=2, lanes=4)


def rtl_dot_path(cfg, kind, layer, w, b, b_h, v, order, gaps):
    """Feed neurons ``order`` of ``layer`` (weights w (H, X_l+H), biases b, b_h (L*H,), input v),
    ``gaps[k]`` idle cycles before the k-th. Returns {neuron: (y, y_h, cycle)} and the cycle of
    each neuron's last chunk."""
    dut = DotPath(cfg, kind)
    n, kd = cfg.lanes, cfg.dpu_cycles(layer)
    padded = np.zeros((cfg.hidden_size, kd * n), dtype=np.int64)
    padded[:, :w.shape[1]] = w
    chunks = [None] * gaps[0]
    for k, j in enumerate(order):
        chunks += [(j, c) for c in range(kd)] + [None] * (gaps[k + 1] if k + 1 < len(gaps)
                                                           else 0)
    chunks += [None] * (LAT_MU + 2)
    out, last_at = {}, {}

    async def tb(ctx):
        for k in range(cfg.max_row_length):
            ctx.set(dut.v[k], int(v[k]) if k < len(v) else 0)
        ctx.set(dut.layer, layer)
        read, bias_addr = None, 0
        for cycle, chunk in enumerate(chunks):
            # the weight store's answers to last cycle's addresses
            for k in range(n):
                ctx.set(dut.w[k], int(padded[read[0], read[1] * n + k]) if read else 0)
            ctx.set(dut.bias, int(b[bias_addr]))
            ctx.set(dut.bias_h, int(b_h[bias_addr]))
            ctx.set(dut.i.valid, chunk is not None)
            if chunk is not None:
                j, c = chunk
                ctx.set(dut.i.p.neuron, j)
                ctx.set(dut.i.p.chunk, c)
                ctx.set(dut.i.p.first, c == 0)
                ctx.set(dut.i.p.last, c == kd - 1)
                if c == kd - 1:
                    last_at[j] = cycle
            if ctx.get(dut.o.valid):
                j = ctx.get(dut.o.p.neuron)
                out[j] = (ctx.get(dut.o.p.y), ctx.get(dut.o.p.y_h), cycle)
            read, bias_addr = chunk, ctx.get(dut.bias_addr)
            await ctx.tick()

    simulate(dut, tb)
    return out, last_at


@pytest.mark.parametrize("kind", ["sigmoid", "tanh", "pair"])
@pytest.mark.parametrize("layer,lanes", [(0, 4), (1, 3), (1, 16)])
def test_outputs_and_latency(kind, layer, lanes):
    cfg = dataclasses.replace(CFG, lanes=lanes, cell="gru" if kind == "pair" else "lstm")
    seed = 3 * layer + lanes + len(kind)
    print("seed", seed)
    rng = np.random.default_rng(seed)
    wf, df = cfg.weight_format, cfg.data_format
    k, xl = cfg.row_length(layer), cfg.layer_input_size(layer)
    w = rng.integers(wf.min_int, wf.max_int + 1, (cfg.hidden_size, k)) // 8
    w[0] = wf.max_int                                  # extreme rows and inputs
    w[1] = wf.min_int
    b, b_h = (rng.integers(wf.min_int, wf.max_int + 1, cfg.layers * cfg.hidden_size)
              for _ in range(2))
    v = rng.integers(df.min_int, df.max_int + 1, k)
    v[:2] = [df.min_int, df.max_int]
    order = [int(j) for j in rng.permutation(cfg.hidden_size)]
    gaps = [int(g) for g in rng.integers(0, 3, cfg.hidden_size)]
    out, last_at = rtl_dot_path(cfg, kind, layer, w, b, b_h, v, order, gaps)
    rows = slice(layer * cfg.hidden_size, (layer + 1) * cfg.hidden_size)
    if kind == "pair":
        want = preactivation(dot(w[:, :xl], v[:xl]), b[rows], cfg)
        want_h = preactivation(dot(w[:, xl:], v[xl:]), b_h[rows], cfg)
    else:
        want, want_h = mu(dot(w, v), b[rows], kind, cfg), None
    assert sorted(out) == list(range(cfg.hidden_size))
    for j, (y, y_h, cycle) in out.items():
        assert y == want[j]
        if want_h is not None:
            assert y_h == want_h[j]
        assert cycle == last_at[j] + LAT_MU
    assert dot_path.LATENCY == LAT_MU
