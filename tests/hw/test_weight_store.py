"""Weight store in Amaranth's simulator: every row word and bias as the load port wrote it
(hw/rows.py layout), columns outside a row ignored, read latency 1."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.layout import BIAS, BIAS_HN, WEIGHT, address_fields
from hw.rows import column_words, row_layout
from hw.weight_store import WeightStore
from tests.hw.rtl import put, simulate, unpack


def rtl_store(cfg, pair, w, b, b_h, seed=0, columns=False):
    """Load w[l] (H, columns), b[l], b_h[l] in a random order; read back every row (or, with
    ``columns``, column) word (depth, N) and every bias (L*H,) and b_h."""
    rng = np.random.default_rng(seed)
    dut = WeightStore(cfg, pair, columns=columns)
    depth = (column_words(cfg) if columns else row_layout(cfg, cfg.dpu_cycles))[1]
    loads = [(WEIGHT, layer, row, col, int(value)) for layer in range(cfg.layers)
             for row in range(cfg.hidden_size) for col, value in enumerate(w[layer][row])]
    for kind, values in ((BIAS, b), (BIAS_HN, b_h)):
        loads += [(kind, layer, row, 0, int(values[layer][row])) for layer in range(cfg.layers)
                  for row in range(cfg.hidden_size)]
    loads = [loads[k] for k in rng.permutation(len(loads))]
    entries = cfg.layers * cfg.hidden_size
    words = np.zeros((depth, cfg.lanes), dtype=np.int64)
    bias, bias_h = np.zeros(entries, dtype=np.int64), np.zeros(entries, dtype=np.int64)

    async def tb(ctx):
        for kind, layer, row, col, value in loads:
            await put(ctx, dut.load, kind=kind, layer=layer, row=row, col=col, data=value)
        for addr in range(max(depth, entries)):
            ctx.set(dut.row_addr, min(addr, depth - 1))
            ctx.set(dut.bias_addr, min(addr, entries - 1))
            await ctx.tick()
            ctx.set(dut.row_addr, 0)        # the read port registered the address (latency 1)
            ctx.set(dut.bias_addr, 0)
            if addr < depth:
                words[addr] = unpack(ctx.get(dut.w.as_value()), cfg.weight_format.width,
                                     cfg.lanes)
            if addr < entries:
                bias[addr], bias_h[addr] = ctx.get(dut.bias_data), ctx.get(dut.bias_h_data)

    simulate(dut, tb)
    return words, bias, bias_h


@pytest.mark.parametrize("pair", [False, True])
@pytest.mark.parametrize("lanes", [1, 3, 4])
def test_rows_and_biases_as_loaded(pair, lanes):
    cfg = dataclasses.replace(DEFAULT, input_size=5, hidden_size=3, layers=2, lanes=lanes)
    seed = lanes + 10 * pair
    print("seed", seed)
    rng = np.random.default_rng(seed)
    wf = cfg.weight_format
    cols = 1 << dict(address_fields(cfg))["col"]      # every column the load port can name
    w = [rng.integers(wf.min_int, wf.max_int + 1, (cfg.hidden_size, cols))
         for _ in range(cfg.layers)]
    b, b_h = (rng.integers(wf.min_int, wf.max_int + 1, (cfg.layers, cfg.hidden_size))
              for _ in range(2))
    words, bias, bias_h = rtl_store(cfg, pair, w, b, b_h, seed=seed)
    base, _ = row_layout(cfg, cfg.dpu_cycles)
    for layer in range(cfg.layers):
        kd, k = cfg.dpu_cycles(layer), cfg.row_length(layer)
        for row in range(cfg.hidden_size):
            want = np.zeros(kd * lanes, dtype=np.int64)   # padding lanes never written
            want[:k] = w[layer][row][:k]                  # columns >= X_l + H ignored
            start = base[layer] + row * kd
            np.testing.assert_array_equal(words[start:start + kd].ravel(), want)
    np.testing.assert_array_equal(bias, np.ravel(b))
    np.testing.assert_array_equal(bias_h, np.ravel(b_h) if pair else 0)


@pytest.mark.parametrize("lanes", [1, 4])
def test_signs_apart_stores_the_other_bits(lanes):
    """Memo builds: the memory keeps W-1 bits of each weight, ``w`` takes its MSBs from
    ``w_signs`` (the BNN unit's sign plane, driven here by the testbench)."""
    cfg = dataclasses.replace(DEFAULT, input_size=5, hidden_size=3, layers=1, lanes=lanes)
    seed = 7 + lanes
    print("seed", seed)
    rng = np.random.default_rng(seed)
    wf, ww = cfg.weight_format, cfg.weight_format.width
    w = rng.integers(wf.min_int, wf.max_int + 1, (cfg.hidden_size, cfg.row_length(0)))
    w[0, :2] = [wf.min_int, wf.max_int]
    dut = WeightStore(cfg, signs_apart=True)
    assert len(dut.w.as_value()) == lanes * ww
    kd = cfg.dpu_cycles(0)
    want = np.zeros((cfg.hidden_size * kd, lanes), dtype=np.int64)
    want.reshape(cfg.hidden_size, -1)[:, :cfg.row_length(0)] = w
    got = np.zeros_like(want)

    async def tb(ctx):
        for row in range(cfg.hidden_size):
            for col in range(cfg.row_length(0)):
                await put(ctx, dut.load, kind=WEIGHT, layer=0, row=row, col=col,
                          data=int(w[row, col]))
        for addr in range(len(want)):
            ctx.set(dut.row_addr, addr)
            await ctx.tick()
            ctx.set(dut.w_signs, sum(int(v < 0) << k for k, v in enumerate(want[addr])))
            got[addr] = unpack(ctx.get(dut.w.as_value()), ww, lanes)

    simulate(dut, tb)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("lanes", [1, 2, 4])
def test_columns_as_loaded(lanes):
    """The delta build's column-major layout: word p of column k holds rows p*N..p*N+N-1."""
    cfg = dataclasses.replace(DEFAULT, input_size=5, hidden_size=3, layers=2, lanes=lanes)
    seed = 100 + lanes
    print("seed", seed)
    rng = np.random.default_rng(seed)
    wf = cfg.weight_format
    cols = 1 << dict(address_fields(cfg))["col"]
    w = [rng.integers(wf.min_int, wf.max_int + 1, (cfg.hidden_size, cols))
         for _ in range(cfg.layers)]
    b, b_h = (rng.integers(wf.min_int, wf.max_int + 1, (cfg.layers, cfg.hidden_size))
              for _ in range(2))
    words, bias, _ = rtl_store(cfg, False, w, b, b_h, seed=seed, columns=True)
    base, depth = column_words(cfg)
    p = cfg.delta_words
    assert depth == sum(cfg.row_length(k) for k in range(cfg.layers)) * p
    for layer in range(cfg.layers):
        for col in range(cfg.row_length(layer)):
            want = np.zeros(p * lanes, dtype=np.int64)    # padding lanes never written
            want[:cfg.hidden_size] = w[layer][:, col]
            start = base[layer] + col * p
            np.testing.assert_array_equal(words[start:start + p].ravel(), want)
    np.testing.assert_array_equal(bias, np.ravel(b))
